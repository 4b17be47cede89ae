"""The AWS email channels, by name (`watchnext.email.channels.CHANNELS` lists every name):
each is one module that sends, installs its template and keeps to its own limits."""

from __future__ import annotations

import importlib
from typing import Any

from watchnext.email.channels import CHANNELS, check_channel


def channel_class(name: str) -> Any:
    """The class of channel ``name``, imported on first use."""
    module, _, attribute = CHANNELS[check_channel(name)].partition(":")
    return getattr(importlib.import_module(module), attribute)
