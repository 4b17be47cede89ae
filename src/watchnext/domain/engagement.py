"""What the emails earn: click-through rate by position and by model, with the statistical
error of each rate, and how long after sending the clicks come."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist, median

from watchnext.errors import WatchNextError

DEFAULT_CONFIDENCE = 0.95


class ClickModelError(WatchNextError):
    """A click model whose rates are not probabilities."""


@dataclass(frozen=True)
class ClickModel:
    """Simulated viewers follow the link at position p (from 1) with probability
    ``top * decay ** (p - 1)``, each link independently."""

    top: float = 0.35
    decay: float = 0.8

    def __post_init__(self) -> None:
        if not (0 <= self.top <= 1 and 0 <= self.decay <= 1):
            raise ClickModelError("the click model's top rate and decay must be between 0 and 1")

    def rate(self, position: int) -> float:
        return self.top * self.decay ** (position - 1)


@dataclass(frozen=True, slots=True)
class SentEmail:
    job_id: str
    model_id: str | None
    picks: int
    sent_at: float
    experiment: str | None = None
    arms: tuple[str | None, ...] = ()
    """Each pick's experiment arm, in the email's order (empty outside an experiment)."""

    def arm_at(self, position: int) -> str | None:
        """``experiment/arm`` of the pick at ``position`` (from 1), if it had one."""
        arm = self.arms[position - 1] if 0 < position <= len(self.arms) else None
        return f"{self.experiment}/{arm}" if arm and self.experiment else None


@dataclass(frozen=True, slots=True)
class Click:
    job_id: str
    position: int
    clicked_at: float


@dataclass(frozen=True, slots=True)
class Rate:
    """``clicked`` of ``shown``, with its Wilson score interval at the report's confidence."""

    shown: int
    clicked: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.clicked / self.shown if self.shown else 0.0

    def covers(self, rate: float) -> bool:
        return self.low <= rate <= self.high


def wilson_interval(clicked: int, shown: int, confidence: float) -> tuple[float, float]:
    """The Wilson score interval: unlike p ± z·SE, it stays within [0, 1] and stays honest
    for rates near 0 and for small counts."""
    if shown == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = clicked / shown
    centre = (p + z * z / (2 * shown)) / (1 + z * z / shown)
    half = z * math.sqrt(p * (1 - p) / shown + z * z / (4 * shown * shown)) / (1 + z * z / shown)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(clicked: int, shown: int, confidence: float) -> Rate:
    low, high = wilson_interval(clicked, shown, confidence)
    return Rate(shown=shown, clicked=clicked, low=low, high=high)


@dataclass(frozen=True)
class EngagementReport:
    confidence: float
    emails_sent: int
    clicks: int
    overall: Rate
    """Clicks per link shown."""
    by_position: tuple[tuple[int, Rate], ...]
    by_model: tuple[tuple[str, Rate], ...]
    delays_seconds: tuple[float, ...]
    by_arm: tuple[tuple[str, Rate], ...] = ()
    """Clicks per link shown, by ``experiment/arm`` of the pick (interleaving mixes arms in
    one email, so this is by pick, not by email)."""
    """For each click, how long after its email was sent."""

    def position_error_bars(self) -> tuple[list[float], list[float]]:
        """How far each position's interval reaches below and above its rate (for plots)."""
        rates = [r for _, r in self.by_position]
        return [r.value - r.low for r in rates], [r.high - r.value for r in rates]

    @property
    def median_delay_seconds(self) -> float | None:
        return median(self.delays_seconds) if self.delays_seconds else None

    def as_dict(self) -> dict[str, object]:
        def rate_dict(r: Rate) -> dict[str, float | int]:
            return {
                "shown": r.shown,
                "clicked": r.clicked,
                "rate": r.value,
                "low": r.low,
                "high": r.high,
            }

        return {
            "confidence": self.confidence,
            "interval": "Wilson score",
            "emails_sent": self.emails_sent,
            "clicks": self.clicks,
            "overall": rate_dict(self.overall),
            "by_position": [{"position": p, **rate_dict(r)} for p, r in self.by_position],
            "by_model": [{"model_id": m, **rate_dict(r)} for m, r in self.by_model],
            "by_arm": [{"arm": a, **rate_dict(r)} for a, r in self.by_arm],
            "median_delay_seconds": self.median_delay_seconds,
            "delays_seconds": list(self.delays_seconds),
        }


UNKNOWN_MODEL = "(unknown)"


def engagement_report(
    sent: Iterable[SentEmail], clicks: Iterable[Click], confidence: float = DEFAULT_CONFIDENCE
) -> EngagementReport:
    """Rates per link shown: a position's rate is its clicks over the emails that had a pick
    at that position. Clicks on emails not in ``sent`` are left out."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    emails = {email.job_id: email for email in sent}
    counted = [
        c for c in clicks if c.job_id in emails and 1 <= c.position <= emails[c.job_id].picks
    ]
    longest = max((email.picks for email in emails.values()), default=0)
    by_position = tuple(
        (
            position,
            rate(
                sum(1 for c in counted if c.position == position),
                sum(1 for e in emails.values() if e.picks >= position),
                confidence,
            ),
        )
        for position in range(1, longest + 1)
    )
    shown_by_model: dict[str, int] = {}
    clicked_by_model: dict[str, int] = {}
    for email in emails.values():
        model = email.model_id or UNKNOWN_MODEL
        shown_by_model[model] = shown_by_model.get(model, 0) + email.picks
    for click in counted:
        model = emails[click.job_id].model_id or UNKNOWN_MODEL
        clicked_by_model[model] = clicked_by_model.get(model, 0) + 1
    return EngagementReport(
        confidence=confidence,
        emails_sent=len(emails),
        clicks=len(counted),
        overall=rate(len(counted), sum(shown_by_model.values()), confidence),
        by_position=by_position,
        by_model=tuple(
            (model, rate(clicked_by_model.get(model, 0), shown, confidence))
            for model, shown in sorted(shown_by_model.items())
        ),
        delays_seconds=tuple(
            sorted(max(0.0, c.clicked_at - emails[c.job_id].sent_at) for c in counted)
        ),
        by_arm=_by_arm(emails, counted, confidence),
    )


def _by_arm(
    emails: dict[str, SentEmail], counted: list[Click], confidence: float
) -> tuple[tuple[str, Rate], ...]:
    shown: dict[str, int] = {}
    clicked: dict[str, int] = {}
    for email in emails.values():
        for position in range(1, email.picks + 1):
            if (arm := email.arm_at(position)) is not None:
                shown[arm] = shown.get(arm, 0) + 1
    for click in counted:
        if (arm := emails[click.job_id].arm_at(click.position)) is not None:
            clicked[arm] = clicked.get(arm, 0) + 1
    return tuple(
        (arm, rate(clicked.get(arm, 0), n, confidence)) for arm, n in sorted(shown.items())
    )
