"""A small HTTP client for the review API, turning every failure into a message to show."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


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
        errors = self.body.get("errors") or []
        if errors:
            fields = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors)
            return f"The API refused the review ({self.status}): {fields}"
        return f"The API answered {self.status}: {self.body.get('message', 'no details')}"


class ReviewApiClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def _call(self, path: str, body: dict[str, Any] | None = None) -> ApiResult:
        request = urllib.request.Request(  # noqa: S310 - a configured http(s) URL
            self.base_url + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"x-api-key": self.api_key, "Content-Type": "application/json"},
            method="POST" if body is not None else "GET",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return ApiResult(True, response.status, json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read() or b"{}")
            except ValueError:
                payload = {"message": error.reason}
            return ApiResult(False, error.code, payload if isinstance(payload, dict) else {})
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            return ApiResult(False, 0, {"message": f"cannot reach {self.base_url} ({error})"})

    def recommendations(self, user_id: str, n: int = 10) -> ApiResult:
        from urllib.parse import quote

        return self._call(f"/users/{quote(user_id, safe='')}/recommendations?n={n}")

    def review(self, body: dict[str, Any]) -> ApiResult:
        return self._call("/reviews", body)
