"""Turns AWS failures into WatchNext's own errors, so the API answers 503 instead of 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from watchnext.adapters.aws.clients import DeadlineExceededError
from watchnext.errors import ServiceUnavailableError
from watchnext.observability import logger

THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "LimitExceededException"}
)


@contextmanager
def aws_errors_as_unavailable(resource: str, *, retry_after_seconds: int) -> Iterator[None]:
    """Re-raise any AWS error inside the block as `ServiceUnavailableError` naming ``resource``.

    botocore has already retried what is retryable by the time an error gets here.
    """
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        logger.warning("AWS call failed", extra={"resource": resource, "error_code": code})
        if code == "ResourceNotFoundException":
            message = f"The {resource} does not exist or is not ACTIVE yet."
        elif code in THROTTLING_CODES:
            message = f"The {resource} is throttling requests; retried and still throttled."
        else:
            message = f"The {resource} rejected the call ({code})."
        raise ServiceUnavailableError(message, retry_after_seconds=retry_after_seconds) from error
    except BotoCoreError as error:
        logger.warning(
            "AWS call failed", extra={"resource": resource, "error": type(error).__name__}
        )
        reason = "could not be reached"
        if isinstance(error, DeadlineExceededError):
            reason = "did not answer in time"
        raise ServiceUnavailableError(
            f"The {resource} {reason}.", retry_after_seconds=retry_after_seconds
        ) from error
