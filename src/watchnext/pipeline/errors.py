"""Errors of the training pipeline package."""

from __future__ import annotations

from watchnext.errors import WatchNextError


class PipelineError(WatchNextError):
    """The pipeline cannot go on; the message says what was expected and what to change."""
