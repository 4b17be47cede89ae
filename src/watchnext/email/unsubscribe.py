"""Signed unsubscribe links: ``?token=`` carries the user id and an HMAC-SHA256 signature,
so nobody can unsubscribe someone else by guessing ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

MAX_AGE_SECONDS = 400 * 86_400  # a link in an old email keeps working for over a year


class InvalidTokenError(ValueError):
    """The token is malformed, forged or too old."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(user_id: str, key: bytes, *, now: float | None = None) -> str:
    payload = json.dumps({"u": user_id, "t": int(now or time.time())}, separators=(",", ":"))
    signature = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return f"{_b64(payload.encode())}.{_b64(signature)}"


def verify(token: str, key: bytes, *, now: float | None = None) -> str:
    """The user id in a valid token; `InvalidTokenError` otherwise."""
    try:
        payload_part, signature_part = token.split(".")
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
    except (ValueError, TypeError):
        raise InvalidTokenError("the unsubscribe link is malformed") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidTokenError("the unsubscribe link's signature does not match")
    try:
        claims = json.loads(payload)
        user_id, issued = str(claims["u"]), int(claims["t"])
    except (ValueError, KeyError, TypeError):
        raise InvalidTokenError("the unsubscribe link is malformed") from None
    if (now or time.time()) - issued > MAX_AGE_SECONDS:
        raise InvalidTokenError("the unsubscribe link has expired")
    return user_id


def unsubscribe_url(base_url: str, user_id: str, key: bytes) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe?{urlencode({'token': sign(user_id, key)})}"
