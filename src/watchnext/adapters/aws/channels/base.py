"""What every AWS email channel shares: installing a template idempotently."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError


def not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("NotFoundException",)


def update_or_create(update: Callable[[], object], create: Callable[[], object]) -> None:
    """Update the template; create it if it is not there (Create over an existing one, and
    Update after someone deleted it, both end installed)."""
    try:
        update()
    except ClientError as error:
        if not not_found(error):
            raise
        create()
