"""`watchnext demo --check`: one scripted review end to end over HTTP, as a user would."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from watchnext.adapters.local.smtp import outbox
from watchnext.domain.review import Review
from watchnext.service import event_id_for

CHECK_USER = "demo-check"


def _call(url: str, api_key: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - our own loopback URL
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"x-api-key": api_key, "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def run_check(config: Any, api_key: str, wait_seconds: float = 20.0) -> bool:
    """POST a review, see recommendations that exclude it, find the email in the sink."""

    def say(ok: bool, what: str) -> bool:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        return ok

    status, before = _call(f"{config.api_url}/users/{CHECK_USER}/recommendations?n=5", api_key)
    if not say(
        status == 200 and len(before.get("recommendations", [])) == 5,
        f"GET recommendations: {status}",
    ):
        return False
    rated = before["recommendations"][0]["item_id"]
    review = {
        "user_id": CHECK_USER, "item_id": rated, "event_rating": 5, "event_verified_purchase": "Y",
        "event_type": "RATING", "email_address": "demo-check@example.com",
        "timestamp": datetime.now(UTC).isoformat(),
    }  # fmt: skip
    status, accepted = _call(f"{config.api_url}/reviews", api_key, review)
    after = [r["item_id"] for r in accepted.get("recommendations", [])]
    if not say(status == 200 and accepted.get("email_queued") is True, f"POST /reviews: {status}"):
        return False
    if not say(rated not in after, f"the rated title {rated!r} left the recommendations"):
        return False
    status, _ = _call(f"{config.api_url}/reviews", "wrong-key", review)
    if not say(status == 403, f"a wrong API key is refused: {status}"):
        return False
    if not config.run_sink:
        return say(True, "email sent to the configured SMTP server (not checked)")
    job_id = event_id_for(Review.model_validate(review))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        mails = [m for m in outbox(config.outbox_dir) if m.job_id == job_id]
        if mails:
            return say(True, f"email delivered to the sink: {mails[0].subject!r}")
        time.sleep(0.2)
    return say(False, f"no email in {config.outbox_dir} after {wait_seconds:.0f} s")
