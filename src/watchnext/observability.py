"""Powertools logger and metrics, configured once; email addresses never reach a log.

No X-Ray SDK tracer: with ``Tracing: Active`` Lambda records each invocation's segments itself,
and the SDK cost a third of a second of every cold start (docs/deploy.md, "Tracing").
"""

from __future__ import annotations

import re

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "watchnext"
NAMESPACE = "WatchNext"

EMAIL_PATTERN = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED_EMAIL = "<email redacted>"


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Structured JSON logs with anything shaped like an email address replaced.

    The code never logs addresses on purpose; this catches the accidents (an exception
    message, a third-party library's log line).
    """

    def serialize(self, log: LogRecord) -> str:
        return EMAIL_PATTERN.sub(REDACTED_EMAIL, super().serialize(log))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


class PowertoolsMetrics:
    """`watchnext.service.ports.MetricsSink` backed by CloudWatch embedded metric format."""

    def count(self, name: str, value: int = 1) -> None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    def milliseconds(self, name: str, value: float) -> None:
        metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
