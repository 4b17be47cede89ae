"""The worst case of each function's AWS calls fits its timeout, computed from the client
settings, botocore's retry constants and template.yaml, so none of them can drift apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from tests.support import resource
from watchnext.adapters.aws import clients

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
