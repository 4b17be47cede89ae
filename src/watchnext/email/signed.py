"""Tokens for the links in an email. Signed: a JSON payload and its HMAC-SHA256 signature,
both URL-safe base64. Sealed: the payload encrypted and authenticated with AES-GCM
(`cryptography`), for claims the link's reader must not see. Each kind of link uses its own
key derived from the one secret, so a token of one kind never passes for another."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from watchnext.errors import WatchNextError


class InvalidTokenError(WatchNextError, ValueError):
    """The token is malformed, forged or too old."""


class ExpiredTokenError(InvalidTokenError):
    """The token was genuine, and its lifetime is over."""


def purpose_key(key: bytes, purpose: str) -> bytes:
    """The key that signs one kind of link, derived from the shared secret."""
    return hmac.new(key, f"watchnext-{purpose}".encode(), hashlib.sha256).digest()


def sign_claims(claims: dict[str, Any], key: bytes) -> str:
    payload = json.dumps(claims, separators=(",", ":")).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def read_claims(token: str, key: bytes, link: str) -> dict[str, Any]:
    """The claims of a token ``key`` signed; `InvalidTokenError` naming the ``link`` otherwise."""
    try:
        payload_part, signature_part = token.split(".")
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
    except (ValueError, TypeError):
        raise InvalidTokenError(f"the {link} is malformed") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidTokenError(f"the {link}'s signature does not match")
    try:
        claims = json.loads(payload)
    except ValueError:
        raise InvalidTokenError(f"the {link} is malformed") from None
    if not isinstance(claims, dict):
        raise InvalidTokenError(f"the {link} is malformed")
    return claims


NONCE_BYTES = 12


def seal_claims(claims: dict[str, Any], key: bytes) -> str:
    """``claims`` encrypted under ``key`` (any length; AES-256 uses a key derived from it)."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return _b64(nonce + AESGCM(purpose_key(key, "sealed")).encrypt(nonce, payload, None))


def open_claims(token: str, key: bytes, link: str) -> dict[str, Any]:
    """The claims of a token `seal_claims` made with ``key``; `InvalidTokenError` otherwise."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        sealed = _unb64(token)
        payload = AESGCM(purpose_key(key, "sealed")).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], None
        )
        claims = json.loads(payload)
    except (ValueError, TypeError, InvalidTag):
        raise InvalidTokenError(f"the {link} is malformed or forged") from None
    if not isinstance(claims, dict):
        raise InvalidTokenError(f"the {link} is malformed")
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
