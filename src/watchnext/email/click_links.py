"""Tracked pick links: ``GET /r/{token}``, where the token is signed over the viewer, the
email's job and recommendation list, what the email showed, the pick's position and an
expiry. Following one records a click (`watchnext.service.clicks`)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from urllib.parse import quote

from watchnext.domain.email import EmailJob
from watchnext.domain.events import MAX_IMPRESSION
from watchnext.email.signed import (
    ExpiredTokenError,
    InvalidTokenError,
    purpose_key,
    read_claims,
    sign_claims,
)

LINK_LIFETIME_SECONDS = 30 * 86_400
"""How long a pick's link records clicks; after that it is a clear page, not a redirect."""
MAX_IMPRESSION_CHARACTERS = 1_000
"""Above this, ids are left out of the link (it would grow too long for mail clients):
the recommendationId still tells Personalize what was shown."""
LINK = "pick's link"


@dataclass(frozen=True)
class ClickClaims:
    """What a pick's link says: who was shown what, and which pick they followed."""

    user_id: str
    job_id: str
    item_id: str
    position: int
    """1 for the email's first pick."""
    expires_at: int
    recommendation_id: str | None = None
    impression: tuple[str, ...] = ()

    @property
    def click_id(self) -> str:
        """The same id for every use of one link: the event's id, and the replay guard's key."""
        key = f"click\x1f{self.job_id}\x1f{self.position}\x1f{self.item_id}"
        return hashlib.sha256(key.encode()).hexdigest()


def _click_key(key: bytes) -> bytes:
    return purpose_key(key, "click")


def sign_click(claims: ClickClaims, key: bytes) -> str:
    payload: dict[str, object] = {
        "u": claims.user_id,
        "j": claims.job_id,
        "i": claims.item_id,
        "p": claims.position,
        "x": claims.expires_at,
    }
    if claims.recommendation_id:
        payload["r"] = claims.recommendation_id
    if claims.impression:
        payload["s"] = list(claims.impression)
    return sign_claims(payload, _click_key(key))


def verify_click(token: str, key: bytes, *, now: float | None = None) -> ClickClaims:
    """The claims of a genuine, unexpired link; `InvalidTokenError` (or its subclass
    `ExpiredTokenError`) otherwise."""
    raw = read_claims(token, _click_key(key), LINK)
    try:
        claims = ClickClaims(
            user_id=str(raw["u"]),
            job_id=str(raw["j"]),
            item_id=str(raw["i"]),
            position=int(raw["p"]),
            expires_at=int(raw["x"]),
            recommendation_id=str(raw["r"]) if "r" in raw else None,
            impression=tuple(str(item) for item in raw.get("s", ())),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidTokenError(f"the {LINK} is malformed") from None
    if (now if now is not None else time.time()) >= claims.expires_at:
        raise ExpiredTokenError(f"the {LINK} has expired")
    return claims


def impression_of(job: EmailJob) -> tuple[str, ...]:
    """The email's picks as PutEvents' ``impression`` (at most 25, the top of the email), or
    nothing when they would make the link too long."""
    shown = tuple(pick.item_id for pick in job.recommendations[:MAX_IMPRESSION])
    return shown if len(json.dumps(shown)) <= MAX_IMPRESSION_CHARACTERS else ()


def pick_links(
    base_url: str,
    job: EmailJob,
    key: bytes,
    *,
    now: float | None = None,
    lifetime_seconds: int = LINK_LIFETIME_SECONDS,
) -> tuple[str, ...]:
    """One tracked link per pick of the email, in the email's order."""
    expires_at = int(now if now is not None else time.time()) + lifetime_seconds
    impression = impression_of(job)
    return tuple(
        click_url(
            base_url,
            sign_click(
                ClickClaims(
                    user_id=job.user_id,
                    job_id=job.job_id,
                    item_id=pick.item_id,
                    position=position,
                    expires_at=expires_at,
                    recommendation_id=job.recommendation_id,
                    impression=impression,
                ),
                key,
            ),
        )
        for position, pick in enumerate(job.recommendations, start=1)
    )


def click_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/r/{quote(token, safe='')}"


def title_url(template: str, item_id: str) -> str:
    """Where a followed link goes: the template with ``{item_id}`` filled in, URL-quoted."""
    return template.replace("{item_id}", quote(item_id, safe=""))


__all__ = [
    "ClickClaims",
    "ExpiredTokenError",
    "InvalidTokenError",
    "click_url",
    "impression_of",
    "pick_links",
    "sign_click",
    "title_url",
    "verify_click",
]
