"""Every interface the use cases need, in one place: AWS, local and fake adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from watchnext.domain.email import EmailJob, EmailLinks, Recipient
from watchnext.domain.events import InteractionEvent
from watchnext.domain.recommendation import CatalogItem, RecommendationList


class EventRecorder(Protocol):
    def record(self, event: InteractionEvent) -> None:
        """Store the event so that the next recommendation for its user reflects it."""


class Recommender(Protocol):
    def recommend(self, user_id: str, n: int) -> RecommendationList:
        """The user's top ``n`` items, best first, excluding items the user already rated."""


class Catalog(Protocol):
    def lookup(self, item_ids: Iterable[str]) -> Mapping[str, CatalogItem]:
        """The catalog entries that exist for these ids; unknown ids are simply absent."""


class EmailQueue(Protocol):
    def enqueue(self, job: EmailJob) -> None:
        """Hand the job to the mailer durably, or raise."""


class OptOuts(Protocol):
    def is_opted_out(self, address: str, user_id: str) -> bool:
        """True if the address opted out, or the user did by a link from before opt-outs
        were kept by address."""


class OptOutStore(OptOuts, Protocol):
    def opt_out(self, recipient: Recipient) -> None: ...

    def opt_in(self, recipient: Recipient) -> None:
        """Undo the recipient's opt-out; nothing happens if there is none."""


class EmailState(OptOutStore, Protocol):
    """Opt-outs, which jobs were sent, and each user's latest job (for the cooldown)."""

    def claim(self, job_id: str, lease_seconds: float) -> bool:
        """True if this caller may send ``job_id``: nobody claimed it, or a claim's sender
        died (its lease ran out before `mark_sent`). False if it was sent, or is being sent."""

    def was_sent(self, job_id: str) -> bool:
        """True once `mark_sent` recorded ``job_id`` (a claim still being sent is not)."""

    def mark_sent(self, job_id: str) -> None:
        """The send succeeded: the job is never sent again."""

    def release(self, job_id: str) -> None:
        """Undo a claim whose send failed, so a retry can send."""

    def note_latest(self, user_id: str, job_id: str, reviewed_at: datetime) -> str:
        """Record the job if it is the user's newest; return the newest job id."""

    def take_send_slot(self, address: str, limit: int, window_seconds: int, now: float) -> bool:
        """Count one email to ``address`` in the window holding ``now`` (fixed windows of
        ``window_seconds``), atomically; False, counting nothing, once ``limit`` were."""

    def batch(self) -> AbstractContextManager[object]:
        """The calls in the block are kept together when it ends (one commit for the local
        database); a store that writes each call at once returns a block that does nothing."""


EmailDone = Callable[[int, Exception | None], None]
"""Told of each email of a `Mailer.send_all` (by its position) as soon as it was sent (None)
or failed (its error), so that it is recorded before the next one goes."""


class Mailer(Protocol):
    def send(self, job: EmailJob, links: EmailLinks) -> None:
        """Deliver one recommendations email, or raise."""

    def send_all(self, emails: Sequence[tuple[EmailJob, EmailLinks]], done: EmailDone) -> None:
        """Deliver each email (over a pool or a kept connection, where the channel allows),
        calling ``done`` after each."""


class ClickLedger(Protocol):
    """Which pick links were followed, so that each records one click in its lifetime."""

    def first_use(self, click_id: str, expires_at: float) -> bool:
        """True the first time ``click_id`` is seen before ``expires_at`` (epoch seconds)."""

    def forget_use(self, click_id: str) -> None:
        """Undo `first_use` when the click could not be recorded, so the viewer can retry."""


class EngagementLog(Protocol):
    """Sent emails and followed links: locally every one, for the engagement report; on AWS
    those of an experiment, for its status (Personalize's metric attribution counts the rest)."""

    def sent(self, job: EmailJob, at: float) -> None: ...

    def clicked(
        self, user_id: str, job_id: str, position: int, item_id: str, at: float
    ) -> str | None:
        """Keep a followed link; the experiment arm that drafted its pick, if the email was
        an experiment's. Idempotent: the same link followed again changes nothing."""


class MetricsSink(Protocol):
    def count(self, name: str, value: int = 1) -> None: ...

    def milliseconds(self, name: str, value: float) -> None: ...


class NullMetrics:
    def count(self, name: str, value: int = 1) -> None:
        pass

    def milliseconds(self, name: str, value: float) -> None:
        pass
