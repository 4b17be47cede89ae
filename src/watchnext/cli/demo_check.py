"""`watchnext demo --check`: one scripted review end to end over HTTP, as a user would."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from watchnext.adapters.local.outbox import outbox
from watchnext.client.api import ReviewApiClient, review_body
from watchnext.domain.events import event_id_for
from watchnext.domain.review import Review
from watchnext.settings import Settings

CHECK_USER = "demo-check"


def run_check(
    settings: Settings, outbox_dir: Path, api_key: str, wait_seconds: float = 20.0
) -> bool:
    """POST a review, see recommendations that exclude it, find the email in the sink."""

    def say(ok: bool, what: str) -> bool:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        return ok

    client = ReviewApiClient(settings.api_url, api_key)
    listed = client.recommendations(CHECK_USER, n=5)
    if not say(
        listed.ok and len(listed.body.get("recommendations", [])) == 5,
        f"GET recommendations: {listed.status}",
    ):
        return False
    rated = listed.body["recommendations"][0]["item_id"]
    review = review_body(
        CHECK_USER, rated, 5, "demo-check@example.com", timestamp=datetime.now(UTC).isoformat()
    )
    accepted = client.review(review)
    after = [r["item_id"] for r in accepted.body.get("recommendations", [])]
    if not say(
        accepted.status == 200 and accepted.body.get("email_queued") is True,
        f"POST /reviews: {accepted.status}",
    ):
        return False
    if not say(rated not in after, f"the rated title {rated!r} left the recommendations"):
        return False
    refused = ReviewApiClient(settings.api_url, "wrong-key").review(review)
    if not say(refused.status == 403, f"a wrong API key is refused: {refused.status}"):
        return False
    if not settings.run_sink:
        return say(True, "email sent to the configured SMTP server (not checked)")
    job_id = event_id_for(Review.model_validate(review))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        mails = [m for m in outbox(outbox_dir) if m.job_id == job_id]
        if mails:
            return say(True, f"email delivered to the sink: {mails[0].subject!r}")
        time.sleep(0.2)
    return say(False, f"no email in {outbox_dir} after {wait_seconds:.0f} s")
