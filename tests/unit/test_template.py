"""template.yaml promises, checked by reading the template itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import resource, template
from watchnext.adapters.aws import parameters
from watchnext.settings import Settings, SettingsError, env_name


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
    known = Settings.env_names()
    assert variables <= known
    assert {
        env_name("parameter_path"),
        env_name("email_queue_url"),
        env_name("idempotency_table"),
    } <= variables


FUNCTIONS_WITH_SETTINGS = ("ReviewFunction", "MailerFunction", "PipelineStepsFunction")


@pytest.mark.parametrize("function", FUNCTIONS_WITH_SETTINGS)
def test_every_variable_template_yaml_sets_is_a_setting_watchnext_reads(function: str) -> None:
    """Names in one place: what the template sets is read from template.yaml itself, and
    every name is ours (WATCHNEXT_, in `Settings`) or Powertools' own (POWERTOOLS_)."""
    variables = {
        **template()["Globals"]["Function"].get("Environment", {}).get("Variables", {}),
        **resource(function)["Properties"]["Environment"]["Variables"],
    }
    ours = {name for name in variables if not name.startswith("POWERTOOLS_")}
    assert ours <= Settings.env_names(), ours - Settings.env_names()
    settings = Settings.model_validate({})  # defaults: the template's values must parse too
    assert settings.email_cooldown_seconds == 0


def test_a_dislike_threshold_above_the_like_threshold_is_one_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WATCHNEXT_LIKE_THRESHOLD", "3")
    monkeypatch.setenv("WATCHNEXT_DISLIKE_THRESHOLD", "4")

    with pytest.raises(SettingsError, match=r"WATCHNEXT_DISLIKE_THRESHOLD .*like threshold \(3\)"):
        Settings.from_env()


def test_a_bad_setting_is_one_error_naming_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHNEXT_NUM_RESULTS", "501")
    monkeypatch.setenv("WATCHNEXT_EMAIL_CHANNEL", "carrier-pigeon")
    monkeypatch.setenv("WATCHNEXT_CORS_ALLOWED_ORIGINS", " https://a.example , https://b.example,")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    message = str(raised.value)
    assert "WATCHNEXT_NUM_RESULTS" in message
    assert "501" in message
    assert "WATCHNEXT_EMAIL_CHANNEL" in message
    assert "carrier-pigeon" in message

    monkeypatch.delenv("WATCHNEXT_NUM_RESULTS")
    monkeypatch.delenv("WATCHNEXT_EMAIL_CHANNEL")
    monkeypatch.setenv("WATCHNEXT_PARAMETER_PATH", "/watchnext/prod/")
    monkeypatch.setenv("WATCHNEXT_EMAIL_QUEUE_URL", "")  # empty is unset, as before
    settings = Settings.from_env()
    assert settings.cors_allowed_origins == ("https://a.example", "https://b.example")
    assert settings.parameter_path == "/watchnext/prod"
    assert settings.email_queue_url is None


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
        parameters.CATALOG_TABLE_PARAMETER,
        parameters.EVENT_PROPERTIES,
        parameters.METRIC_ATTRIBUTION_ARN,
        parameters.EXPERIMENT,
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
