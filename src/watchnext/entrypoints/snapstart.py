"""Lambda SnapStart runtime hooks for the review and mailer functions.

With SnapStart, Lambda runs init once per published version, snapshots the memory, and starts
every new execution environment from that snapshot. Whatever init made unique is then shared
by all of them, so the after-restore hook makes it unique again:

- Python's `random` generator, seeded once at import: reseeded from the OS on restore.
  (`uuid.uuid4`, `secrets` and `os.urandom` read the kernel each call and need nothing.)

Nothing else here caches time or credentials across a snapshot: the SSM and Secrets Manager
caches expire by wall-clock time and are empty at init, deadlines are set per invocation, and
boto3 keeps no credentials of our own making (docs/deploy.md, "SnapStart").
"""

from __future__ import annotations

import random
from collections.abc import Callable

from watchnext.observability import logger


def restore_uniqueness() -> None:
    random.seed()  # from os.urandom
    logger.info("Restored from a SnapStart snapshot: reseeded")


AFTER_RESTORE: tuple[Callable[[], None], ...] = (restore_uniqueness,)


def register() -> bool:
    """Register the hooks with the managed runtime's `snapshot_restore_py`; False where it
    is absent (a laptop, the tests without it), and nothing restores a snapshot."""
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return False
    for hook in AFTER_RESTORE:
        register_after_restore(hook)
    return True
