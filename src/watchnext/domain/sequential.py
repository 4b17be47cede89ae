"""A sequential test that stays valid however often it is looked at: the mixture sequential
probability ratio test (mSPRT) with a normal mixture, as in Johari, Koomen, Pekelis & Walsh,
"Always Valid Inference: Continuous Monitoring of A/B Tests", Operations Research 70(3),
2022 (arXiv:1512.04922), section 4 and appendix: for an estimate with (approximately) normal
error of variance ``V`` and a N(θ₀, τ²) mixture over the alternative,

    Λ = sqrt(V / (V + τ²)) · exp(τ² (θ̂ - θ₀)² / (2 V (V + τ²)))

and "Λ ≥ 1/alpha at any time" happens with probability at most alpha when θ = θ₀. The always-valid
interval is every θ₀ the test would not reject. Written by hand: scipy has no mSPRT, and the
arithmetic is three lines; the A/A study (`watchnext experiment simulate`) measures its
false-winner rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    WINNER = "winner"
    NOT_YET = "not yet"
    NO_DIFFERENCE = "no difference at this size"


@dataclass(frozen=True)
class Evidence:
    estimate: float
    """θ̂: the difference (A/B) or the share of decided lists won (interleaving)."""
    null: float
    """θ₀: 0 for a difference, 1/2 for a share."""
    variance: float
    """V: the variance of ``estimate``; 0 while there is nothing to judge."""
    mixture_sd: float
    """τ: the spread of effects the test is tuned to find, in ``estimate``'s units."""

    @property
    def likelihood_ratio(self) -> float:
        """Λ; 1 (no evidence) while ``variance`` is 0."""
        if self.variance <= 0:
            return 1.0
        v, t2 = self.variance, self.mixture_sd**2
        exponent = t2 * (self.estimate - self.null) ** 2 / (2 * v * (v + t2))
        return math.sqrt(v / (v + t2)) * math.exp(min(exponent, 700.0))

    @property
    def p_value(self) -> float:
        """1/Λ capped at 1: always valid at the moment it is computed."""
        return min(1.0, 1.0 / self.likelihood_ratio)

    def interval(self, alpha: float) -> tuple[float, float]:
        """Every θ₀ not rejected at ``alpha``: covers the truth at all times with
        probability at least 1 - alpha. Unbounded while there is nothing to judge."""
        if self.variance <= 0:
            return (-math.inf, math.inf)
        v, t2 = self.variance, self.mixture_sd**2
        radius = math.sqrt(v * (v + t2) / t2 * (math.log((v + t2) / v) - 2 * math.log(alpha)))
        return (self.estimate - radius, self.estimate + radius)

    def rejects(self, alpha: float) -> bool:
        """The null is rejected at ``alpha``: Λ ≥ 1/alpha."""
        return self.likelihood_ratio >= 1 / alpha

    def within(self, alpha: float, min_effect: float) -> bool:
        """The interval lies within ±``min_effect`` of the null: no difference at this size."""
        low, high = self.interval(alpha)
        return self.null - min_effect < low and high < self.null + min_effect

    def verdict(self, alpha: float, min_effect: float) -> Verdict:
        if self.rejects(alpha):
            return Verdict.WINNER
        if self.within(alpha, min_effect):
            return Verdict.NO_DIFFERENCE
        return Verdict.NOT_YET


AB_MIXTURE_SD = 0.05
"""τ for A/B: click-through differences of a few points are what a better model brings."""
SHARE_MIXTURE_SD = 0.1
"""τ for interleaving: a better model wins, say, 60% of the lists whose clicks decide."""


@dataclass
class ViewerSums:
    """One arm's emails and clicked emails, summed over its viewers, with the squares and
    products the delta method needs: the viewer, not the email, is the unit split between
    arms, and one viewer's emails are alike (an email-level variance is too small; the A/A
    study measured 27% false winners with it at alpha = 5%)."""

    viewers: int = 0
    emails: float = 0.0
    clicked: float = 0.0
    emails_sq: float = 0.0
    clicked_sq: float = 0.0
    cross: float = 0.0

    def add(self, emails: float, clicked: float, *, was: tuple[float, float] | None = None) -> None:
        """Count a viewer at (``emails``, ``clicked``); ``was``: their previous counts, when
        they were counted already."""
        if was is None:
            self.viewers += 1
        else:
            self._shift(*was, sign=-1.0)
        self._shift(emails, clicked, sign=1.0)

    def _shift(self, emails: float, clicked: float, *, sign: float) -> None:
        self.emails += sign * emails
        self.clicked += sign * clicked
        self.emails_sq += sign * emails * emails
        self.clicked_sq += sign * clicked * clicked
        self.cross += sign * emails * clicked

    @property
    def rate(self) -> float:
        return self.clicked / self.emails if self.emails else 0.0

    @property
    def variance(self) -> float:
        """Var(rate) by the delta method for a ratio of sums over viewers (Deng, Knoblich &
        Lu, "Applying the Delta Method in Metric Analytics", KDD 2018)."""
        n = self.viewers
        if n < 2 or not self.emails:
            return 0.0
        mean_e, mean_c = self.emails / n, self.clicked / n
        var_e = self.emails_sq / n - mean_e**2
        var_c = self.clicked_sq / n - mean_c**2
        cov = self.cross / n - mean_e * mean_c
        r = mean_c / mean_e
        return max(0.0, (var_c - 2 * r * cov + r * r * var_e) / (n * mean_e**2))


MIN_VIEWERS_PER_ARM = 50
"""A/B judges nothing before each arm has this many viewers. Its variance is estimated from
the viewers so far, and from a handful it can be near zero: in the A/A study, 29 of 32 false
winners came before 35 viewers in all. Interleaving waits for as many viewers with a decided
list, for the same reason."""


def two_rates(first: ViewerSums, second: ViewerSums, mixture_sd: float = AB_MIXTURE_SD) -> Evidence:
    """The second arm's click-through minus the first's; V is the sum of the arms' delta-method
    variances. No evidence (V = 0) before `MIN_VIEWERS_PER_ARM` viewers in each arm."""
    difference = second.rate - first.rate
    if min(first.viewers, second.viewers) < MIN_VIEWERS_PER_ARM:
        return Evidence(difference, 0.0, 0.0, mixture_sd)  # shown, not judged
    if first.variance <= 0 or second.variance <= 0:
        return Evidence(difference, 0.0, 0.0, mixture_sd)
    return Evidence(difference, 0.0, first.variance + second.variance, mixture_sd)


def share_of_wins(lists: ViewerSums, mixture_sd: float = SHARE_MIXTURE_SD) -> Evidence:
    """The share of decided lists the second arm won, against one half; ``lists`` sums each
    viewer's decided lists (``emails``) and those the second arm won (``clicked``). V is the
    larger of the delta-method variance over viewers and 1/(4n), the variance were every list
    independent under the null. One viewer's lists lean the same way: where viewers disagree
    about two arms that are as good over all (`watchnext.recommender.online.mirrored`), a
    list-level variance called 36% false winners at alpha = 5%. No evidence before
    `MIN_VIEWERS_PER_ARM` viewers with a decided list."""
    if not lists.emails:
        return Evidence(0.5, 0.5, 0.0, mixture_sd)
    if lists.viewers < MIN_VIEWERS_PER_ARM:
        return Evidence(lists.rate, 0.5, 0.0, mixture_sd)  # shown, not judged
    variance = max(lists.variance, 0.25 / lists.emails)
    return Evidence(lists.rate, 0.5, variance, mixture_sd)
