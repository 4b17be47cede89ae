"""What the mailer needs: a channel to send through and somewhere to keep its state."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from watchnext.domain.email import EmailJob, Recipient
from watchnext.ports import OptOuts


class Mailer(Protocol):
    def send(self, job: EmailJob, unsubscribe_url: str) -> None:
        """Deliver one recommendations email, or raise."""


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
