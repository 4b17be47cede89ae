"""The checks a review body passes before anything parses it for real.

Powertools' validation parses the body with the standard library, which raises (and the API
would answer 500, a 502 on API Gateway) on JSON nested ~1,000 deep, on an integer of more than
4,300 digits, on multipart bodies without a boundary or with text outside latin-1, and on
invalid UTF-8. A review is a small JSON object: those bodies are refused here with a 4xx that
says why (422 for what is wrong inside the body, as the validation's own answers are; 415 and
413 for the media type and the size). Other malformed JSON goes on to the validation's 422.
"""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

from watchnext.errors import WatchNextError

MAX_BODY_BYTES = 16 * 1024
MAX_DEPTH = 8
MAX_NUMBER_DIGITS = 20
JSON_TYPES = ("application/json",)


class _NumberTooLongError(WatchNextError, ValueError):
    pass


class BodyRejectedError(WatchNextError, ValueError):
    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_review_body(event: dict[str, Any]) -> None:
    """Raise `BodyRejectedError` unless the event's body is a small JSON object."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    media_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES:
        raise BodyRejectedError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be application/json, not {media_type[:60]!r}",
        )
    raw = _raw(event)
    if len(raw) > MAX_BODY_BYTES:
        raise BodyRejectedError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BodyRejectedError(
            HTTPStatus.UNPROCESSABLE_ENTITY, f"the body is not valid UTF-8 (byte {error.start})"
        ) from None
    _check_depth(text)
    try:
        document = json.loads(text, parse_int=_bounded_int)
    except _NumberTooLongError as error:
        raise BodyRejectedError(HTTPStatus.UNPROCESSABLE_ENTITY, str(error)) from None
    except ValueError:
        return  # malformed JSON: the validation names it (422, json_invalid)
    if not isinstance(document, dict):
        # Powertools' validation reads a one-element list as its element.
        kind = type(document).__name__.replace("NoneType", "null")
        raise BodyRejectedError(
            HTTPStatus.UNPROCESSABLE_ENTITY, f"the body must be one JSON object, not a {kind}"
        )


def with_lowercase_media_type(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type's media type in lower case. Media types are
    case-insensitive (RFC 9110, 8.3.1), but Powertools' validation compares them as written
    and answers ``APPLICATION/JSON`` with a 415 of its own shape."""
    headers = dict(event.get("headers") or {})
    multi = dict(event.get("multiValueHeaders") or {})
    for name in [n for n in headers if n.lower() == "content-type"]:
        headers[name] = _lowercase_media_type(str(headers[name]))
    for name in [n for n in multi if n.lower() == "content-type"]:
        multi[name] = [_lowercase_media_type(str(value)) for value in multi[name]]
    return {**event, "headers": headers, "multiValueHeaders": multi}


def _lowercase_media_type(value: str) -> str:
    media_type, separator, parameters = value.partition(";")
    return media_type.strip().lower() + separator + parameters


def _raw(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return str(body).encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(str(body), validate=True)
    except (binascii.Error, ValueError):
        raise BodyRejectedError(
            HTTPStatus.UNPROCESSABLE_ENTITY, "the body is not valid base64"
        ) from None


def _check_depth(text: str) -> None:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise BodyRejectedError(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    f"the body is nested more than {MAX_DEPTH} deep",
                )
        elif char in "]}":
            depth -= 1


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NumberTooLongError(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)
