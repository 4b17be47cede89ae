"""template.yaml promises, checked by reading the template itself."""

from __future__ import annotations

from typing import Any

from tests.support import resource, template
from watchnext import settings
from watchnext.adapters.aws import parameters


def policy_statements(logical_id: str | None = None) -> list[dict[str, Any]]:
    """Every statement of the functions' inline policies, both branches of an Fn::If included."""
    statements = []
    for name, spec in template()["Resources"].items():
        if logical_id and name != logical_id:
            continue
        for policy in spec.get("Properties", {}).get("Policies", []):
            branches = policy["Fn::If"][1:] if "Fn::If" in policy else [policy]
            for branch in branches:
                if isinstance(branch, dict) and "Statement" in branch:
                    statements.extend(branch["Statement"])
    return statements


def test_no_iam_action_is_a_wildcard() -> None:
    actions = []
    for statement in policy_statements():
        action = statement["Action"]
        actions.extend(action if isinstance(action, list) else [action])
    assert actions
    assert all("*" not in action for action in actions), actions


def test_personalize_access_is_limited_to_the_two_runtime_calls() -> None:
    personalize = {
        statement["Action"]
        for statement in policy_statements("ReviewFunction")
        if str(statement["Action"]).startswith("personalize:")
    }
    assert personalize == {"personalize:PutEvents", "personalize:GetRecommendations"}


def test_the_api_requires_an_api_key_and_has_a_usage_plan() -> None:
    auth = resource("ReviewApi")["Properties"]["Auth"]
    assert auth["ApiKeyRequired"] is True
    assert auth["UsagePlan"]["CreateUsagePlan"] == "PER_API"
    assert set(auth["UsagePlan"]["Throttle"]) == {"RateLimit", "BurstLimit"}


def test_the_function_runs_python_3_12_or_3_13_on_arm64() -> None:
    function_globals = template()["Globals"]["Function"]
    assert function_globals["Runtime"] in {"python3.12", "python3.13"}
    assert function_globals["Architectures"] == ["arm64"]


def test_the_function_gets_every_setting_it_reads_by_its_real_name() -> None:
    variables = set(resource("ReviewFunction")["Properties"]["Environment"]["Variables"])
    known = {
        value for name, value in vars(settings).items() if name.isupper() and isinstance(value, str)
    }
    assert variables <= known
    assert {
        settings.PARAMETER_PATH,
        settings.EMAIL_QUEUE_URL,
        settings.IDEMPOTENCY_TABLE,
    } <= variables


def test_the_ssm_placeholders_are_the_parameters_the_function_reads() -> None:
    names = {
        spec["Properties"]["Name"]["Fn::Sub"].rsplit("/", 1)[1]
        for spec in template()["Resources"].values()
        if spec["Type"] == "AWS::SSM::Parameter"
    }
    assert names == {
        parameters.CAMPAIGN_ARN,
        parameters.TRACKING_ID,
        parameters.FILTER_ARN,
        parameters.CATALOG_TABLE,
        parameters.EVENT_PROPERTIES,
    }


def test_email_jobs_that_keep_failing_go_to_the_dead_letter_queue() -> None:
    redrive = resource("EmailJobQueue")["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["EmailJobDeadLetterQueue", "Arn"]}
    assert redrive["maxReceiveCount"] == {"Ref": "EmailJobMaxReceiveCount"}


def test_the_outputs_give_the_api_url_and_key_id() -> None:
    assert {"ApiUrl", "ApiKeyId"} <= set(template()["Outputs"])


def test_every_cfn_lint_suppression_states_its_reason() -> None:
    """cfn-lint (with the serverless rules) runs in `make test`; a check a resource ignores
    needs a reason beside it, under Metadata.watchnext.suppressions."""
    for logical_id, spec in template()["Resources"].items():
        metadata = spec.get("Metadata", {})
        ignored = set(metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", []))
        reasons = metadata.get("watchnext", {}).get("suppressions", {})
        assert set(reasons) == ignored, logical_id
        assert all(len(str(reason).split()) >= 8 for reason in reasons.values()), logical_id
