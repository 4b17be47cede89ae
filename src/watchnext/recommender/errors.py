"""Errors of the local recommender; the CLI prints their message."""

from __future__ import annotations


class RecommenderError(Exception):
    """A model or artifact that cannot be used; the message says what to do."""


class ArtifactMismatchError(RecommenderError):
    """A saved model that does not fit this installation or this data."""
