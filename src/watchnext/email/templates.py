"""The recommendations email template (``pinpoint_templates/recommendations``): loading,
its data, its content hash and the Pinpoint variant generated from it."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchnext.domain.email import EmailJob, EmailLinks
from watchnext.domain.recommendation import Recommendation

TEMPLATE_NAME = "watchnext-recommendations"
TEMPLATES_DIR = "WATCHNEXT_TEMPLATES_DIR"
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


def templates_root() -> Path:
    """``$WATCHNEXT_TEMPLATES_DIR``, else the Lambda layer, else this checkout's folder."""
    configured = os.environ.get(TEMPLATES_DIR)
    if configured:
        return Path(configured)
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
    """The variables the template uses, from an email job (the SES ``TemplateData``)."""
    urls = links.picks or ("",) * len(job.recommendations)
    return {
        "count": len(job.recommendations),
        "rated": {
            "title": job.rated.title,
            "rating": job.rated.rating,
            "note": "" if job.rated.known else UNKNOWN_TITLE_NOTE,
        },
        "recommendations": [
            {
                "rank": rank,
                "item_id": r.item_id,
                "title": r.title,
                "reason": reason_for(r),
                "url": url,
            }
            for rank, (r, url) in enumerate(zip(job.recommendations, urls, strict=True), start=1)
        ],
        "unsubscribe_url": links.unsubscribe,
    }


UNKNOWN_TITLE_NOTE = (
    "We don't know this title yet, so these picks come from your other ratings; "
    "your rating counts from our next update."
)


def reason_for(pick: Recommendation) -> str:
    """The reason the recommender computed for ``pick``, in words; empty when it gave none."""
    if pick.because_title:
        return f"Because you rated {pick.because_title}"
    return ", ".join(pick.reasons)


PINPOINT_VALUE_LIMIT = 100
"""Pinpoint refuses an endpoint user attribute value longer than this (EndpointUser)."""

PINPOINT_ATTRIBUTES = {
    "rated.rating": "User.UserAttributes.rated_rating.[0]",
    "count": "User.UserAttributes.recommendation_count.[0]",
}
PINPOINT_CHUNKED = {
    "rated.title": "User.UserAttributes.rated_title",
    "rated.note": "User.UserAttributes.rated_note",
    "unsubscribe_url": "User.UserAttributes.unsubscribe_url",
}
"""Values that may exceed the limit: stored as ≤ 100-character pieces, joined by the template."""


def pinpoint_variant(template: EmailTemplate) -> EmailTemplate:
    """The same template for Pinpoint, whose variables are endpoint user attributes (lists of
    strings): the loop runs over ``recommended_titles`` and each entry is a title."""

    def convert(text: str) -> str:
        for variable, attribute in PINPOINT_ATTRIBUTES.items():
            text = re.sub(
                r"(\{\{\{?)\s*" + re.escape(variable) + r"\s*(\}?\}\})",
                rf"\g<1>{attribute}\g<2>",
                text,
            )
        for variable, attribute in PINPOINT_CHUNKED.items():
            text = text.replace(f"{{{{#if {variable}}}}}", f"{{{{#if {attribute}}}}}")
            text = re.sub(
                r"(\{\{\{?)\s*" + re.escape(variable) + r"\s*(\}?\}\})",
                rf"{{{{#each {attribute}}}}}\g<1>this\g<2>{{{{/each}}}}",
                text,
            )
        loop = re.compile(r"\{\{#each recommendations\}\}(.*?)\{\{/each\}\}", re.DOTALL)

        def per_title(match: re.Match[str]) -> str:
            body = re.sub(r"\{\{(\{?)\s*title\s*(\}?)\}\}", r"{{\g<1>this\g<2>}}", match.group(1))
            body = re.sub(r"\{\{#if reason\}\}.*?\{\{/if\}\}", "", body, flags=re.DOTALL)
            body = re.sub(r"\{\{rank\}\}\.?", "", body)
            body = re.sub(r"\{\{#if url\}\}(.*?)\{\{/if\}\}", "", body, flags=re.DOTALL)
            return "{{#each User.UserAttributes.recommended_titles}}" + body + "{{/each}}"

        return loop.sub(per_title, text)

    return EmailTemplate(convert(template.subject), convert(template.html), convert(template.text))


def pinpoint_attributes(job: EmailJob, links: EmailLinks) -> dict[str, list[str]]:
    """The endpoint user attributes the Pinpoint variant reads. Its loop runs over titles
    alone (one attribute value each), so the picks carry no tracked links there."""
    return {
        "recommended_titles": [_shortened(r.title) for r in job.recommendations],
        "rated_title": _pieces(job.rated.title),
        **({} if job.rated.known else {"rated_note": _pieces(UNKNOWN_TITLE_NOTE)}),
        "rated_rating": [str(job.rated.rating)],
        "recommendation_count": [str(len(job.recommendations))],
        "unsubscribe_url": _pieces(links.unsubscribe),
    }


def _pieces(value: str) -> list[str]:
    """``value`` in order, as pieces Pinpoint accepts; the template joins them again."""
    step = PINPOINT_VALUE_LIMIT
    return [value[start : start + step] for start in range(0, len(value), step)] or [""]


def _shortened(title: str) -> str:
    """A title that fits one attribute value (a loop over titles cannot join pieces)."""
    if len(title) <= PINPOINT_VALUE_LIMIT:
        return title
    return title[: PINPOINT_VALUE_LIMIT - 1] + "…"
