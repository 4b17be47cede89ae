"""The recommendations email template (``pinpoint_templates/recommendations``): loading,
its data, its content hash and the Pinpoint variant generated from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchnext.domain.email import EmailJob, EmailLinks
from watchnext.domain.recommendation import Recommendation, reason_key
from watchnext.domain.sentiment import Feeling

TEMPLATE_NAME = "watchnext-recommendations"
TEMPLATES_DIR = "WATCHNEXT_TEMPLATES_DIR"
"""The setting that names the template's folder (`watchnext.settings.Settings.templates_dir`)."""
PARTS = ("subject", "html", "text")
LAYER_ROOT = Path("/opt")  # where Lambda mounts the EmailTemplatesLayer
SOURCE_ROOT = Path(__file__).resolve().parents[3] / "pinpoint_templates"


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    html: str
    text: str

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for part in (self.subject, self.html, self.text):
            digest.update(part.encode())
            digest.update(b"\x00")
        return digest.hexdigest()


def templates_root(configured: Path | None = None) -> Path:
    """``configured`` (the setting ``WATCHNEXT_TEMPLATES_DIR``), else the Lambda layer, else
    this checkout's folder."""
    if configured is not None:
        return configured
    if (LAYER_ROOT / "recommendations").is_dir():
        return LAYER_ROOT
    return SOURCE_ROOT


def load_template(root: Path | None = None, name: str = "recommendations") -> EmailTemplate:
    folder = (root or templates_root()) / name
    try:
        parts = {part: (folder / f"{part}.hbs").read_text(encoding="utf-8") for part in PARTS}
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"email template part missing: {error.filename} (set {TEMPLATES_DIR})"
        ) from None
    return EmailTemplate(subject=parts["subject"].strip(), html=parts["html"], text=parts["text"])


def template_data(job: EmailJob, links: EmailLinks) -> dict[str, Any]:
    """The variables the template uses, from an email job (the SES ``TemplateData``). The
    picks come grouped by reason (`grouped_by_reason`); the first of each group carries the
    group's ``heading``."""
    urls = links.picks or ("",) * len(job.recommendations)
    headings = group_headings(job.recommendations)
    return {
        "count": len(job.recommendations),
        "rated": {
            "title": job.rated.title,
            "rating": job.rated.rating,
            "verdict": VERDICTS[job.rated.feeling],
            "note": "" if job.rated.known else unknown_title_note(job.recommendations),
        },
        "recommendations": [
            {
                "rank": rank,
                "item_id": r.item_id,
                "title": r.title,
                "reason": reason_for(r),
                "heading": heading,
                "url": url,
            }
            for rank, (r, url, heading) in enumerate(
                zip(job.recommendations, urls, headings, strict=True), start=1
            )
        ],
        "unsubscribe_url": links.unsubscribe,
    }


VERDICTS = {
    Feeling.LIKE: "Here is what to watch next.",
    Feeling.NEUTRAL: "Noted. Here is what to watch next.",
    Feeling.DISLIKE: "Not for you: fewer titles like it from now on. Try these instead.",
}
UNKNOWN_TITLE_NOTE = (
    "We don't know this title yet, so these picks come from your other ratings; "
    "your rating counts from our next update."
)
UNKNOWN_TITLE_NEW_VIEWER_NOTE = (
    "We don't know this title yet, so here are popular titles while we learn your taste; "
    "your rating counts from our next update."
)
MORE_FOR_YOU = "More for you"


def unknown_title_note(picks: tuple[Recommendation, ...]) -> str:
    """What to say when the rated title is not in the catalog: the picks come from the
    viewer's other liked titles only if some pick names one."""
    if any(pick.because_title for pick in picks):
        return UNKNOWN_TITLE_NOTE
    return UNKNOWN_TITLE_NEW_VIEWER_NOTE


def reason_for(pick: Recommendation) -> str:
    """The reason the recommender computed for ``pick``, in words; empty when it gave none."""
    if pick.because_title:
        return f"Because you liked {pick.because_title}"
    return ", ".join(reason.capitalize() for reason in pick.reasons)


def group_headings(picks: tuple[Recommendation, ...]) -> list[str]:
    """For each pick, its group's heading if it opens a group of one reason, else empty.
    Picks without a reason get "More for you" once other groups stand before them."""
    headings, previous = [], None
    for position, pick in enumerate(picks):
        key = reason_key(pick)
        opens = key != previous
        previous = key
        if not opens:
            headings.append("")
        elif key:
            headings.append(reason_for(pick))
        else:
            headings.append(MORE_FOR_YOU if position else "")
    return headings
