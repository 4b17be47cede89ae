"""What every AWS email channel shares: installing a template idempotently."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from watchnext.domain.email import EmailJob, EmailLinks
from watchnext.service.delivery import send_each


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


def send_pooled(
    send: Callable[[EmailJob, EmailLinks], None],
    emails: Sequence[tuple[EmailJob, EmailLinks]],
    concurrency: int,
) -> list[Exception | None]:
    """`Mailer.send_all` over ``concurrency`` threads, each sending its share in turn."""
    workers = max(1, min(concurrency, len(emails)))
    if workers == 1:
        return send_each(send, emails)
    shares = [emails[start::workers] for start in range(workers)]
    with ThreadPoolExecutor(workers, thread_name_prefix="send") as pool:
        done = list(pool.map(lambda share: send_each(send, share), shares))
    errors: list[Exception | None] = [None] * len(emails)
    for start, share_errors in enumerate(done):
        errors[start::workers] = share_errors
    return errors
