"""The pick link's use case: a viewer follows a link in an email, one CLICK is recorded with
what the email showed, and the viewer goes on to the title's page."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from watchnext.domain.events import CLICK, CLICK_VALUE, InteractionEvent
from watchnext.domain.review import EventSource
from watchnext.email.click_links import ClickClaims, title_url, verify_click
from watchnext.errors import WatchNextError
from watchnext.service.ports import ClickLedger, EngagementLog, EventRecorder


class ReplayedClickError(WatchNextError):
    """The link was followed before: nothing is recorded again."""

    def __init__(self, title_url: str | None) -> None:
        super().__init__("this link was followed before")
        self.title_url = title_url


def click_event(claims: ClickClaims, at: float, drafted_by: str | None = None) -> InteractionEvent:
    return InteractionEvent(
        event_id=claims.click_id,
        user_id=claims.user_id,
        item_id=claims.item_id,
        event_type=CLICK,
        event_value=CLICK_VALUE,
        timestamp=datetime.fromtimestamp(at, UTC),
        properties={},
        recommendation_id=claims.recommendation_id,
        impression=claims.impression,
        source=EventSource.EMAIL,
        drafted_by=drafted_by,
    )


@dataclass
class Clicks:
    recorder: EventRecorder
    ledger: ClickLedger
    signing_key: Callable[[], bytes]
    title_url_template: str | None
    """Where a followed link leads, with ``{item_id}``: the title's page (None: nowhere)."""
    engagement: EngagementLog | None = None
    clock: Callable[[], float] = field(default=time.time)

    def follow(self, token: str) -> str | None:
        """Record the link's click once and return the title's page, if there is one.
        `InvalidTokenError` (`ExpiredTokenError`) for a forged or old link,
        `ReplayedClickError` for a used one."""
        now = self.clock()
        claims = verify_click(token, self.signing_key(), now=now)
        destination = (
            title_url(self.title_url_template, claims.item_id) if self.title_url_template else None
        )
        if not self.ledger.first_use(claims.click_id, claims.expires_at):
            raise ReplayedClickError(destination)
        try:
            drafted_by = None
            if self.engagement is not None:  # idempotent: first, so a retry can complete it
                drafted_by = self.engagement.clicked(
                    claims.user_id, claims.job_id, claims.position, claims.item_id, now
                )
            self.recorder.record(click_event(claims, now, drafted_by))
        except Exception:
            self.ledger.forget_use(claims.click_id)  # the viewer may try the link again
            raise
        return destination
