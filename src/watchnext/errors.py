"""Errors WatchNext raises on purpose; each says what was expected and what to change."""

from __future__ import annotations


class WatchNextError(Exception):
    """Base of every error WatchNext raises on purpose."""


class ServiceUnavailableError(WatchNextError):
    """A dependency cannot serve now; the caller should retry later (HTTP 503)."""

    def __init__(self, message: str, *, retry_after_seconds: int = 30) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_seconds = retry_after_seconds


class NotConfiguredError(ServiceUnavailableError):
    """A setting that the training pipeline publishes (an ARN, a tracking id) is not there yet."""
