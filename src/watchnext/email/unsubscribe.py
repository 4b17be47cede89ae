"""Signed unsubscribe links: ``?token=`` carries the recipient's address and an HMAC-SHA256
signature, so nobody can unsubscribe someone else by guessing. Links sent before opt-outs
were kept by address carry a user id instead; they still work."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from watchnext.domain.email import Recipient, address_key

MAX_AGE_SECONDS = 400 * 86_400  # a link in an old email keeps working for over a year


class InvalidTokenError(ValueError):
    """The token is malformed, forged or too old."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(address: str, key: bytes, *, now: float | None = None) -> str:
    return _signed({"a": address_key(address), "t": int(now or time.time())}, key)


def sign_legacy(user_id: str, key: bytes, *, now: float | None = None) -> str:
    """A link as earlier mailers signed it, over the user id (for tests of old links)."""
    return _signed({"u": user_id, "t": int(now or time.time())}, key)


def _signed(claims: dict[str, object], key: bytes) -> str:
    payload = json.dumps(claims, separators=(",", ":")).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def verify(token: str, key: bytes, *, now: float | None = None) -> Recipient:
    """The recipient a valid token names; `InvalidTokenError` otherwise."""
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
