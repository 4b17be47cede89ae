"""The worst case of each function's AWS calls fits its timeout, computed from the client
settings, botocore's retry constants and template.yaml, so none of them can drift apart."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from tests.support import ROOT, resource
from tests.support.stack import Stack
from watchnext.adapters.aws import clients
from watchnext.pipeline.asl import load_definition

API_GATEWAY_INTEGRATION_TIMEOUT = 29  # seconds, REST APIs (API Gateway quotas)
MARGIN = 2  # seconds


def longest_backoff() -> float:
    """botocore's longest wait before the last attempt: throttling base * 2^(n-1), capped,
    plus what an x-amz-retry-after header may add."""
    constants: Mapping[str, Any] = vars(ExponentialBackoff)
    scale = float(constants["_DEFAULT_BACKOFF_CONFIG"]["throttling_base_scale"])
    base, cap = float(constants["_BASE"]), float(constants["_MAX_BACKOFF"])
    waits = [min(scale * base ** (attempt - 1), cap) for attempt in range(1, clients.MAX_ATTEMPTS)]
    return max(waits) + float(constants["_RETRY_AFTER_MAX_ADDITIONAL"])


def test_the_reserve_covers_the_longest_backoff_a_response_and_a_margin() -> None:
    assert longest_backoff() <= clients.LONGEST_BACKOFF_SECONDS
    reserve_needed = longest_backoff() + clients.RESPONSE_SECONDS + MARGIN
    assert reserve_needed <= clients.DEADLINE_RESERVE_SECONDS
    config: Any = clients.CLIENT_CONFIG
    assert config.connect_timeout + config.read_timeout == clients.ATTEMPT_SECONDS


@pytest.mark.parametrize("function", ["ReviewFunction", "MailerFunction"])
def test_the_worst_case_ends_before_the_function_times_out(function: str) -> None:
    timeout = resource(function)["Properties"]["Timeout"]
    budget = timeout - clients.DEADLINE_RESERVE_SECONDS  # no attempt may end later
    assert budget >= clients.ATTEMPT_SECONDS, "not even one attempt fits"
    # The last attempt ends by the deadline; botocore may still back off once, then the guard
    # refuses the next attempt and the function answers.
    worst = budget + longest_backoff() + clients.RESPONSE_SECONDS
    assert worst <= timeout - MARGIN


def test_the_review_function_answers_before_api_gateway_gives_up() -> None:
    timeout = resource("ReviewFunction")["Properties"]["Timeout"]
    assert timeout <= API_GATEWAY_INTEGRATION_TIMEOUT - MARGIN


def test_a_mailer_batch_ends_before_its_messages_are_redelivered() -> None:
    visibility = resource("EmailJobQueue")["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * resource("MailerFunction")["Properties"]["Timeout"]  # AWS's advice


def _states(
    states: Mapping[str, Any],
) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(name, state, the states it sits among), Parallel branches and Map processors included."""
    for name, state in states.items():
        yield name, state, states
        for branch in state.get("Branches", []):
            yield from _states(branch["States"])
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"]["States"])


def _retry_seconds(retrier: Mapping[str, Any]) -> float:
    interval = float(retrier.get("IntervalSeconds", 1))
    rate = float(retrier.get("BackoffRate", 2.0))
    return sum(interval * rate**attempt for attempt in range(int(retrier.get("MaxAttempts", 3))))


def _polls_bounded(wait: str, states: Mapping[str, Any]) -> bool:
    """The loop through ``wait`` passes a Choice on $.polls against $.config.maxPolls."""
    name = wait
    for _ in range(len(states)):
        state = states[name]
        rules = state.get("Choices", [])
        if any(rule.get("NumericGreaterThanPath") == "$.config.maxPolls" for rule in rules):
            return True
        name = state.get("Next") or state.get("Default")
        if name is None or name == wait:
            return False
    return False


def test_the_teardown_answers_cloudformation_within_its_service_timeout() -> None:
    """Every wait is a bounded poll, every retry is bounded, Map items run side by side; the
    sum of them all, and of answering through the Lambda, fits CloudFormation's wait."""
    substitutions = Stack().properties("TeardownStateMachine")["DefinitionSubstitutions"]
    definition = load_definition(ROOT / "data_pipeline" / "teardown.asl.yaml", substitutions)
    defaults = definition["States"]["LoadDefaults"]["Parameters"]["defaults"]
    lambda_timeout = resource("TeardownFunction")["Properties"]["Timeout"]
    worst = 0.0
    for name, state, siblings in _states(definition["States"]):
        if state["Type"] == "Wait":
            assert _polls_bounded(name, siblings), f"{name} waits without a poll limit"
            worst += (defaults["maxPolls"] + 1) * defaults["pollSeconds"]
        for retrier in state.get("Retry", []):
            worst += _retry_seconds(retrier)
            if state.get("Resource") == "arn:aws:states:::lambda:invoke":
                worst += (retrier["MaxAttempts"] + 1) * lambda_timeout
    service_timeout = resource("PipelineTeardown")["Properties"]["ServiceTimeout"]
    assert worst <= service_timeout - 60, f"worst case {worst:.0f} s"


def test_a_send_claim_expires_before_its_job_comes_back_from_the_queue() -> None:
    """A mailer that died mid-send holds the claim; the redelivered job must find it expired
    (or wait for it), on AWS and locally."""
    from watchnext.domain.email import SEND_CLAIM_LEASE_SECONDS
    from watchnext.service.delivery import queue_lease_seconds

    visibility = resource("EmailJobQueue")["Properties"]["VisibilityTimeout"]
    mailer_timeout = resource("MailerFunction")["Properties"]["Timeout"]
    assert SEND_CLAIM_LEASE_SECONDS + mailer_timeout <= visibility
    assert visibility == queue_lease_seconds(SEND_CLAIM_LEASE_SECONDS)  # one setting, both places
    for claim in (2.0, SEND_CLAIM_LEASE_SECONDS):
        assert claim < queue_lease_seconds(claim)
