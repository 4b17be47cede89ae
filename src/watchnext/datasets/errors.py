"""Errors of the dataset pipeline; the CLI prints their message, not a traceback."""

from __future__ import annotations

from watchnext.errors import WatchNextError


class DatasetError(WatchNextError):
    """Input or output that the pipeline cannot use; the message says what to change."""
