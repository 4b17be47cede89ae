"""Errors of the training pipeline package."""

from __future__ import annotations


class PipelineError(Exception):
    """The pipeline cannot go on; the message says what was expected and what to change."""
