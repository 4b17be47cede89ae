"""The review API over HTTP, every failure turned into a message to show.

One keep-alive connection per thread (a client serves the web app's threads and the load
test's alike); a connection the server closed is opened again once."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit


@dataclass(frozen=True)
class ApiResult:
    ok: bool
    status: int
    body: dict[str, Any]

    @property
    def message(self) -> str:
        """What went wrong, in words a viewer can act on."""
        if self.ok:
            return ""
        if self.status == 0:
            return str(self.body.get("message"))
        errors = self.body.get("errors") or []
        if errors:
            fields = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors)
            return f"The API refused the review ({self.status}): {fields}"
        return f"The API answered {self.status}: {self.body.get('message', 'no details')}"


def review_body(
    user_id: str,
    item_id: str,
    rating: int,
    email_address: str,
    *,
    verified_purchase: bool = True,
    timestamp: str | None = None,
    recommendation_id: str | None = None,
    event_source: str | None = None,
) -> dict[str, Any]:
    """A ``POST /reviews`` body; the optional fields only when given."""
    body: dict[str, Any] = {
        "user_id": user_id,
        "item_id": item_id,
        "event_rating": rating,
        "event_verified_purchase": "Y" if verified_purchase else "N",
        "event_type": "RATING",
        "email_address": email_address,
    }
    optional = {
        "timestamp": timestamp,
        "recommendation_id": recommendation_id,
        "event_source": event_source,
    }
    return body | {name: value for name, value in optional.items() if value is not None}


class ReviewApiClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._host, self._port, self._prefix = parts.hostname or "", parts.port, parts.path
        self.api_key = api_key
        self.timeout = timeout
        self._local = threading.local()

    def recommendations(self, user_id: str, n: int = 10) -> ApiResult:
        return self._call("GET", f"/users/{quote(user_id, safe='')}/recommendations?n={n}")

    def review(self, body: dict[str, Any]) -> ApiResult:
        return self._call("POST", "/reviews", body)

    def follow(self, url: str) -> int:
        """GET a link of an email (a pick's, an unsubscribe page) without following its
        redirect; its HTTP status, 0 when the API cannot be reached."""
        parts = urlsplit(url)
        status, _ = self._send("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        return status

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> ApiResult:
        status, raw = self._send(
            method, self._prefix + path, json.dumps(body).encode() if body is not None else None
        )
        if status == 0:
            reason = raw.decode("utf-8", "replace")
            return ApiResult(False, 0, {"message": f"cannot reach {self.base_url} ({reason})"})
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {"message": raw[:200].decode("utf-8", "replace")}
        return ApiResult(200 <= status < 300, status, payload if isinstance(payload, dict) else {})

    def _send(self, method: str, target: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"x-api-key": self.api_key, "Content-Type": "application/json"}
        for attempt in (1, 2):  # a kept-alive connection the server closed: open it again
            connection = self._connection()
            try:
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError) as error:
                self.close()
                if attempt == 2 or isinstance(error, TimeoutError):
                    return 0, str(error).encode()
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.connection = connection
        return connection
