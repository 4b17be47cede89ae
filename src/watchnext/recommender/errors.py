"""Errors of the local recommender; the CLI prints their message."""

from __future__ import annotations

from watchnext.errors import WatchNextError


class RecommenderError(WatchNextError):
    """A model or artifact that cannot be used; the message says what to do."""


class ArtifactMismatchError(RecommenderError):
    """A saved model that does not fit this installation or this data."""
