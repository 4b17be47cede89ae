"""Unsubscribe links: ``?token=`` carries the recipient's address sealed (AES-GCM), so nobody
can unsubscribe someone else by guessing and nobody who sees the link reads the address.
Links sent before carry it signed but readable (HMAC-SHA256), or, from before opt-outs were
kept by address, a user id; both still work."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from watchnext.domain.email import Recipient, address_key
from watchnext.email.signed import (
    InvalidTokenError,
    open_claims,
    read_claims,
    seal_claims,
    sign_claims,
)

MAX_AGE_SECONDS = 400 * 86_400  # a link in an old email keeps working for over a year
LINK = "unsubscribe link"

__all__ = ["InvalidTokenError", "sign", "sign_legacy", "sign_readable", "unsubscribe_url", "verify"]


def sign(address: str, key: bytes, *, now: float | None = None) -> str:
    return seal_claims({"a": address_key(address), "t": int(now or time.time())}, key)


def sign_readable(address: str, key: bytes, *, now: float | None = None) -> str:
    """A link as mailers signed it before links were sealed (for tests of old links)."""
    return sign_claims({"a": address_key(address), "t": int(now or time.time())}, key)


def sign_legacy(user_id: str, key: bytes, *, now: float | None = None) -> str:
    """A link as earlier mailers signed it, over the user id (for tests of old links)."""
    return sign_claims({"u": user_id, "t": int(now or time.time())}, key)


def verify(token: str, key: bytes, *, now: float | None = None) -> Recipient:
    """The recipient a valid token names; `InvalidTokenError` otherwise."""
    signed = "." in token  # sealed tokens are one base64 part
    claims = read_claims(token, key, LINK) if signed else open_claims(token, key, LINK)
    try:
        issued = int(claims["t"])
        recipient = (
            Recipient(address=str(claims["a"]))
            if "a" in claims
            else Recipient(legacy_user_id=str(claims["u"]))
        )
    except (ValueError, KeyError, TypeError):
        raise InvalidTokenError("the unsubscribe link is malformed") from None
    if (now or time.time()) - issued > MAX_AGE_SECONDS:
        raise InvalidTokenError("the unsubscribe link has expired")
    return recipient


def unsubscribe_url(base_url: str, address: str, key: bytes) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe?{urlencode({'token': sign(address, key)})}"
