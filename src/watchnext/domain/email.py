"""The email job the review API hands to the mailer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from watchnext.domain.recommendation import Recommendation
from watchnext.domain.review import DeliverableAddress
from watchnext.domain.sentiment import Feeling

DEFAULT_ADDRESS_LIMIT = 30
DEFAULT_ADDRESS_WINDOW_SECONDS = 3600
"""At most 30 emails to one address an hour: the operator's guard against a client posting
reviews for other people's addresses (stack parameters EmailAddressLimit and
EmailAddressWindowSeconds), beside the per-viewer cooldown."""

DEFAULT_MAX_RECEIVE_COUNT = 5
"""Deliveries of an email job before it moves to the dead-letter queue (template.yaml's
EmailJobMaxReceiveCount; the local queue's dead-letter table)."""

SEND_CLAIM_LEASE_SECONDS = 120
"""How long a send claim holds before another mailer may take it (its sender died). Longer
than any one send; shorter than the queue's redelivery (template.yaml VisibilityTimeout, the
local queue's lease from `queue_lease_seconds`), which a test checks."""

DEFAULT_SEND_CONCURRENCY = 4
"""Emails one mailer sends at once (WATCHNEXT_EMAIL_SEND_CONCURRENCY): SMTP connections kept
open, or SES/Pinpoint calls in flight. Kept low on AWS: an account's sending quota (SES: its
maximum send rate) is shared by every mailer Lambda running."""

UNKNOWN_TITLE = "a title we don't know yet"
"""How an email names a rated item the catalog does not know: never by the id the client sent,
which is anyone's text ("Visit http://evil.example now")."""


class RatedItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    title: str
    rating: int
    known: bool = True
    """False when the title is not in the catalog (the picks cannot reflect it yet)."""
    feeling: Feeling = Feeling.LIKE
    """What the rating says (`watchnext.domain.sentiment`): the email's copy follows it."""


class EmailJob(BaseModel):
    """Everything the mailer needs to send one recommendations email; no lookups needed."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    user_id: str
    email_address: DeliverableAddress
    rated: RatedItem
    recommendations: tuple[Recommendation, ...]
    recommendation_id: str | None
    reviewed_at: datetime
    model_id: str | None = None
    """The model that ranked the picks: a local artifact's id (Personalize's answer does not
    say which solution version served it)."""
    experiment: str | None = None
    """The experiment the picks were made for, if any."""
    arms: dict[str, str] = {}
    """Pick (item id) → the experiment arm that contributed it: the engagement log credits
    clicks with it. Never shown to the viewer."""

    def arms_by_position(self) -> tuple[str | None, ...]:
        """The arm of each pick, in the email's order (the order of its tracked links)."""
        return tuple(self.arms.get(pick.item_id) for pick in self.recommendations)


@dataclass(frozen=True)
class EmailLinks:
    """The links an email carries: one tracked link per pick, in order, and unsubscribe."""

    unsubscribe: str
    picks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipient:
    """Whom an unsubscribe link speaks for: an address, or, in links sent before opt-outs
    were kept by address, a user id (those opt-outs are still honoured)."""

    address: str | None = None
    legacy_user_id: str | None = None

    def __post_init__(self) -> None:
        if (self.address is None) == (self.legacy_user_id is None):
            raise ValueError("a recipient is an address or a legacy user id, not both")

    @property
    def key(self) -> str:
        """The key every store keeps this recipient's opt-out under."""
        if self.address is not None:
            return f"optout-address#{address_key(self.address)}"
        return f"optout#{self.legacy_user_id}"

    @classmethod
    def keys_for(cls, address: str, user_id: str) -> tuple[str, str, str]:
        """The opt-out keys that stop mail to ``address`` sent for ``user_id``: by address,
        by user id (older links), and by the address's digest (an erased address that had
        opted out stays opted out, without being kept)."""
        return cls(address=address).key, cls(legacy_user_id=user_id).key, suppression_key(address)

    @property
    def label(self) -> str:
        """How a page names the recipient: the address itself, which the link's holder has."""
        return self.address or f"viewer {self.legacy_user_id}"


def suppression_key(address: str) -> str:
    """The opt-out an erased address leaves: its SHA-256, so it is never emailed again and
    never readable again."""
    import hashlib

    return f"optout-digest#{hashlib.sha256(address_key(address).encode()).hexdigest()}"


def address_key(address: str) -> str:
    """An address as opt-outs are kept: case-folded, since providers ignore case and an
    opt-out must not be dodged by ``Bob@`` against ``bob@``."""
    return address.strip().lower()
