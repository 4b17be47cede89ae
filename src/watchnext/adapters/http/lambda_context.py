"""A Lambda context for running handlers in-process (``watchnext invoke``, tests, benchmarks)."""

from __future__ import annotations

import time
import uuid

from aws_lambda_powertools.utilities.typing import LambdaContext


class LocalLambdaContext(LambdaContext):
    """The context object the Lambda runtime would pass, with a real remaining-time clock."""

    def __init__(
        self,
        function_name: str = "watchnext-local",
        *,
        memory_limit_in_mb: int = 512,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self._memory_limit_in_mb = memory_limit_in_mb
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(0, int((self._deadline - time.monotonic()) * 1000))
