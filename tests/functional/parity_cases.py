"""The table of known HTTP cases the parity suite sends down both paths (test_contract_parity).

Each case says what both paths must answer: the status and, for a refusal, the fields it
names. The corpus of issue 24's hostile-client report is in it (marked "issue 24")."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from tests.support import ORIGINAL_REVIEW

JSON = {"Content-Type": "application/json"}
KEY = "k"
_viewers = itertools.count()


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    target: str
    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    fields: tuple[str, ...] | None = None
    """The fields a refusal names, in order, when the answer is the API's error shape."""
    api_key: str | None = KEY


def review(**changes: Any) -> dict[str, Any]:
    """A valid review by a viewer of its own (so no two cases share an implicit key)."""
    return {**ORIGINAL_REVIEW, "item_id": "A1", "user_id": f"parity-{next(_viewers)}", **changes}


def encoded(document: Any) -> bytes:
    return json.dumps(document).encode()


def without(name: str) -> dict[str, Any]:
    return {k: v for k, v in review().items() if k != name}


def post(name: str, status: int, body: bytes | None, *fields: str, **options: Any) -> Case:
    return Case(name, "POST", "/reviews", status, body, fields=fields or None, **options)


def field_cases(name: str, bad: list[tuple[str, Any]], good: list[tuple[str, Any]]) -> list[Case]:
    """A field refused for each bad value (naming it) and accepted for each good one."""
    cases = [post(f"{name} missing", 422, encoded(without(name)), name)]
    cases += [post(f"{name} {label}", 422, encoded(review(**{name: v})), name) for label, v in bad]
    cases += [post(f"{name} {label}", 200, encoded(review(**{name: v}))) for label, v in good]
    return cases


def with_bytes(raw: bytes) -> bytes:
    """A review with ``raw`` spliced into its item id: a body that is not valid UTF-8."""
    return encoded(review(item_id="A1")).replace(b'"A1"', b'"A' + raw + b'"')


def get(name: str, target: str, status: int, *fields: str, **options: Any) -> Case:
    return Case(name, "GET", target, status, fields=fields or None, **options)


IDS_REFUSED: list[tuple[str, Any]] = [
    ("null", None), ("a number", 5), ("true", True), ("a list", ["a"]), ("an object", {}),
    ("empty", ""), ("a space", " "), ("white space", "\t\n"), ("a NUL", "a\x00b"),
    ("CR LF (issue 24)", "a\r\nb"), ("a DEL", "a\x7fb"), ("a C1 control", "a\x85b"),
    ("a bidi override", "\u202eabc"), ("a lone surrogate", "\ud800"),
    ("U+FFFD", "a\ufffdb"), ("257 characters", "u" * 257),
]  # fmt: skip
IDS_ACCEPTED: list[tuple[str, Any]] = [
    ("256 characters", "u" * 256), ("non-ASCII (issue 24)", "★fan"), ("a space inside", "a b"),
    ("digits", "0"), ("Japanese", "ユーザー"), ("an emoji", "🎬"), ("quotes", "o'\"q"),
]  # fmt: skip

CASES: list[Case] = [
    # API Gateway's own answers
    post("no API key", 403, encoded(review()), api_key=None),
    post("a wrong API key", 403, encoded(review()), api_key="not-the-key"),
    post("an empty API key", 403, encoded(review()), api_key=""),
    get("GET without a key", "/users/u1/recommendations", 403, api_key=None),
    get("the OpenAPI document without a key", "/openapi.json", 403, api_key=None),
    get("the OpenAPI document", "/openapi.json", 200),
    get("an unknown path", "/nowhere", 403),
    get("an unknown path without a key", "/nowhere", 403, api_key=None),
    Case("DELETE /reviews", "DELETE", "/reviews", 403),
    Case("PUT /reviews", "PUT", "/reviews", 403, encoded(review())),
    Case("PATCH /reviews", "PATCH", "/reviews", 403, encoded(review())),
    get("GET /reviews", "/reviews", 403),
    Case("POST to recommendations", "POST", "/users/u1/recommendations", 403, b"{}"),
    get("a user id spanning two segments", "/users/a/b/recommendations", 403),
    get("a user without recommendations", "/users/u1", 403),
    get("a pick link without a token", "/r", 403),
    Case("DELETE an unsubscribe", "DELETE", "/unsubscribe?token=x", 403),
    post("a body over API Gateway's 10 MB", 413, b" " * (10 * 1024 * 1024 + 1)),
    # The body
    post("a body over 16 KiB", 413, encoded(review(pad="x" * 17_000)), "body"),
    post("no body", 422, None, "body"),
    post("an empty body", 422, b"", "body"),
    post("white space only", 422, b"  \n ", "body"),
    post("JSON null", 422, b"null", "body"),
    post("a JSON list", 422, b"[]", "body"),
    post("a list of reviews", 422, encoded([review()]), "body"),
    post("a JSON string", 422, b'"review"', "body"),
    post("a JSON number", 422, b"5", "body"),
    post("JSON true", 422, b"true", "body"),
    post("not JSON", 422, b"rating=5", "body"),
    post("an unclosed object", 422, b'{"user_id": "a"', "body"),
    post("single quotes", 422, b"{'user_id': 'a'}", "body"),
    post("a trailing comma", 422, encoded(review())[:-1] + b",}", "body"),
    post("a comment", 422, b"// hi\n" + encoded(review()), "body"),
    post("NaN for a rating", 422, encoded(review()).replace(b'"event_rating": 5', b'"event_rating": NaN'), "event_rating"),  # noqa: E501
    post("nested nine deep", 422, b"[" * 9 + b"]" * 9, "body"),
    post("a number of 21 digits", 422, encoded(review()).replace(b'"event_rating": 5', b'"event_rating": ' + b"9" * 21), "body"),  # noqa: E501
    post("a byte-order mark", 422, b"\xef\xbb\xbf" + encoded(review()), "body"),
    post("an empty object", 422, b"{}", "user_id", "item_id", "event_rating", "event_verified_purchase", "email_address"),  # noqa: E501
    post("an unknown field", 422, encoded(review(favourite=True)), "favourite"),
    post("a NUL byte outside strings", 422, encoded(review()) + b"\x00", "body"),
    # invalid UTF-8 (issue 24)
    post("a lone 0xff byte", 422, with_bytes(b"\xff"), "body"),
    post("a truncated sequence", 422, with_bytes(b"\xc3"), "body"),
    post("an encoded surrogate", 422, with_bytes(b"\xed\xa0\x80"), "body"),
    post("an overlong slash", 422, with_bytes(b"\xc0\xaf"), "body"),
    post("a lone continuation byte", 422, with_bytes(b"\x80"), "body"),
    post("a 0xfe byte", 422, with_bytes(b"\xfe"), "body"),
    post("latin-1 text", 422, with_bytes("é".encode("latin-1")), "body"),
    # media types (issue 24)
    post("media type in capitals", 200, encoded(review()), headers={"Content-Type": "APPLICATION/JSON"}),  # noqa: E501
    post("media type mixed case with a charset", 200, encoded(review()), headers={"Content-Type": "Application/Json; charset=UTF-8"}),  # noqa: E501
    post("no Content-Type", 200, encoded(review()), headers={}),
    post("a charset parameter", 200, encoded(review()), headers={"Content-Type": "application/json; charset=utf-8"}),  # noqa: E501
    post("text/plain", 415, encoded(review()), "body", headers={"Content-Type": "text/plain"}),
    post("a form", 415, b"user_id=a", "body", headers={"Content-Type": "application/x-www-form-urlencoded"}),  # noqa: E501
    post("multipart", 415, encoded(review()), "body", headers={"Content-Type": "multipart/form-data"}),  # noqa: E501
    post("application/xml", 415, b"<review/>", "body", headers={"Content-Type": "application/xml"}),
    post("a JSON suffix type", 415, encoded(review()), "body", headers={"Content-Type": "application/vnd.api+json"}),  # noqa: E501
    post("an empty media type", 415, encoded(review()), "body", headers={"Content-Type": ""}),
    # Idempotency-Key
    post("a UUID key", 200, encoded(review()), headers={**JSON, "Idempotency-Key": "0b6e3c1d-7a2f-4c8e-9d1b-5e6f7a8b9c0d"}),  # noqa: E501
    post("a quoted key", 200, encoded(review()), headers={**JSON, "Idempotency-Key": '"quoted-key-1"'}),  # noqa: E501
    post("an empty key", 400, encoded(review()), "Idempotency-Key", headers={**JSON, "Idempotency-Key": ""}),  # noqa: E501
    post("a key of 256 characters", 400, encoded(review()), "Idempotency-Key", headers={**JSON, "Idempotency-Key": "k" * 256}),  # noqa: E501
    post("a key with a space", 400, encoded(review()), "Idempotency-Key", headers={**JSON, "Idempotency-Key": "a b"}),  # noqa: E501
    post("a key with a tab", 400, encoded(review()), "Idempotency-Key", headers={**JSON, "Idempotency-Key": "a\tb"}),  # noqa: E501
    # The fields
    *field_cases("user_id", [*IDS_REFUSED, ("a slash", "a/b")], IDS_ACCEPTED),
    *field_cases("item_id", IDS_REFUSED, [*IDS_ACCEPTED, ("a slash", "a/b"), ("unknown to the catalog", "B00UNKNOWN"), ("a sentence with a URL (issue 24)", "Visit http://evil.example now")]),  # noqa: E501
    *field_cases(
        "event_rating",
        [("null", None), ("0", 0), ("6", 6), ("-1", -1), ("5.0", 5.0), ("2.5", 2.5),
         ('"5"', "5"), ("true", True), ("a list", [5]), ("a large number", 10**12)],
        [(str(stars), stars) for stars in range(1, 6)],
    ),
    *field_cases(
        "event_verified_purchase",
        [("null", None), ("y", "y"), ("yes", "yes"), ("true", True), ("empty", ""), ("1", 1)],
        [("Y", "Y"), ("N", "N")],
    ),
    *[post(f"event_type {t}", 200, encoded(review(event_type=t))) for t in ("RATING", "REVIEW", "WATCH", "PURCHASE")],  # noqa: E501
    *[post(f"event_type {label}", 422, encoded(review(event_type=v)), "event_type") for label, v in [("rating", "rating"), ("CLICK", "CLICK"), ("DISLIKE", "DISLIKE"), ("empty", ""), ("null", None), ("5", 5)]],  # noqa: E501
    post("event_type missing", 200, encoded(without("event_type"))),
    *field_cases(
        "email_address",
        [("null", None), ("empty", ""), ("no at sign", "not-an-address"), ("no domain", "a@"),
         ("no local part", "@example.com"), ("a dotless domain", "a@example"),
         ("a space", "a b@example.com"), ("a non-ASCII local part (issue 24)", "élève@exämple.com"),
         ("a trailing newline", "a@example.com\n"), ("a header injection", "a@example.com\r\nBcc: b@example.com"),  # noqa: E501
         ("321 characters", "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"), ("a number", 5),
         ("two addresses", "a@example.com, b@example.com"), ("a display name", "A <a@example.com>")],  # noqa: E501
        [("a Unicode domain (issue 24)", "a@exämple.com"), ("a Punycode domain (issue 24)", "a@xn--exmple-cua.com"),  # noqa: E501
         ("capitals", "A@Example.COM"), ("a plus tag", "a+tag@example.com"), ("a subdomain", "a@mail.example.co.uk")],  # noqa: E501
    ),
    *[
        post(f"timestamp {label}", 422, encoded(review(timestamp=v)), "timestamp")
        for label, v in [
            ("year 1 at +01:00 (issue 24)", "0001-01-01T00:00:00+01:00"),
            ("year 1 at +14:00 (issue 24)", "0001-01-01T00:00:00+14:00"),
            ("year 1 at +00:01", "0001-01-01T00:00:00+00:01"),
            ("in the future", "2999-01-01T00:00:00Z"), ("a word", "yesterday"), ("empty", ""),
            ("negative", -1), ("true", True), ("month 13", "2026-13-01T00:00:00Z"),
            ("out of range", 1e30), ("20 digits", "99999999999999999999"), ("null", None),
            ("a list", [2026]), ("an offset of 25 hours", "2026-01-01T00:00:00+25:00"),
        ]
    ],
    *[
        post(f"timestamp {label}", 200, encoded(review(timestamp=v)))
        for label, v in [
            ("epoch seconds", 1_700_000_000), ("epoch seconds as text", "1700000000"),
            ("fractional epoch seconds", 1_700_000_000.25), ("ISO in UTC", "2026-11-01T18:30:00Z"),
            ("ISO with an offset", "2026-11-01T20:30:00+02:00"), ("ISO without an offset", "2026-11-01T18:30:00"),  # noqa: E501
            ("ISO with microseconds", "2026-11-01T18:30:00.123456Z"), ("the epoch", 0),
            ("year 1 in UTC", "0001-01-01T00:00:00Z"), ("year 1 at -14:00", "0001-01-01T00:00:00-14:00"),  # noqa: E501
        ]
    ],
    *field_cases(
        "recommendation_id",
        [("41 characters", "r" * 41), ("empty", ""), ("a number", 5), ("a NUL", "a\x00")],
        [("a Personalize id", "RID-8c1d2f"), ("40 characters", "r" * 40)],
    )[1:],  # it is optional: missing is fine
    post("recommendation_id missing", 200, encoded(without("recommendation_id"))),
    *[post(f"event_source {s}", 200, encoded(review(event_source=s))) for s in ("api", "webapp", "email")],  # noqa: E501
    *[post(f"event_source {s!r}", 422, encoded(review(event_source=s)), "event_source") for s in ("WEBAPP", "other", "", None)],  # noqa: E501
    # Reading recommendations
    get("a viewer the model knows", "/users/a1/recommendations", 200),
    get("a viewer nobody knows", "/users/nobody/recommendations", 200),
    get("a non-ASCII user id (issue 24)", "/users/%E2%98%85fan/recommendations", 200),
    get("a space in the id", "/users/a%20b/recommendations", 200),
    get("256 characters", f"/users/{'u' * 256}/recommendations", 200),
    get("an emoji", "/users/%F0%9F%8E%AC/recommendations", 200),
    get("a NUL user id (issue 24)", "/users/%00/recommendations", 422, "path.user_id"),
    get("a CR LF user id (issue 24)", "/users/a%0D%0Ab/recommendations", 422, "path.user_id"),
    get("a white-space user id (issue 24)", "/users/%20/recommendations", 422, "path.user_id"),
    get("257 characters", f"/users/{'u' * 257}/recommendations", 422, "path.user_id"),
    get("a bidi override", "/users/%E2%80%AEabc/recommendations", 422, "path.user_id"),
    get("U+FFFD", "/users/a%EF%BF%BDb/recommendations", 422, "path.user_id"),
    get("a DEL", "/users/a%7Fb/recommendations", 422, "path.user_id"),
    get("a tab", "/users/a%09b/recommendations", 422, "path.user_id"),
    get("n=5", "/users/u1/recommendations?n=5", 200),
    get("n=1", "/users/u1/recommendations?n=1", 200),
    get("n=0", "/users/u1/recommendations?n=0", 422, "query.n"),
    get("n=-1", "/users/u1/recommendations?n=-1", 422, "query.n"),
    get("n=abc", "/users/u1/recommendations?n=abc", 422, "query.n"),
    get("n=1.5", "/users/u1/recommendations?n=1.5", 422, "query.n"),
    get("n empty", "/users/u1/recommendations?n=", 422, "query.n"),
    get("n of 21 digits", f"/users/u1/recommendations?n={'9' * 21}", 422, "query.n"),
    get("an unknown query parameter", "/users/u1/recommendations?x=1", 200),
    # An email's links (no key needed; each carries a signed token)
    get("a forged pick link", "/r/forged", 400, api_key=None),
    get("a pick link of 4,097 characters", f"/r/{'t' * 4097}", 422, "path.token", api_key=None),
    get("an unsubscribe link with a forged token", "/unsubscribe?token=x.y", 400, api_key=None),
    get("an unsubscribe link without a token", "/unsubscribe", 422, "query.token", api_key=None),
    Case("an unsubscribe POST with a forged token", "POST", "/unsubscribe?token=x.y", 400, api_key=None),  # noqa: E501
    Case("a resubscribe POST with a forged token", "POST", "/resubscribe?token=x.y", 400, api_key=None),  # noqa: E501
    Case("a resubscribe POST without a token", "POST", "/resubscribe", 422, fields=("query.token",), api_key=None),  # noqa: E501
]  # fmt: skip
