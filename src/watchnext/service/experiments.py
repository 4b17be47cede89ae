"""Where an experiment stands: per arm viewers, emails, clicks and click-through, and the
sequential test's verdict (`watchnext.domain.sequential`), from the emails sent for it and
the pick links followed. An A/B of more than two arms compares every pair, each at its share
of alpha (Bonferroni: always-valid p-values stay valid under a union bound, however often
watched), and names a winner only when one arm beats every other."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from watchnext.domain.experiment import Design, Experiment, credit
from watchnext.domain.sequential import Evidence, Verdict, ViewerSums, share_of_wins, two_rates


@dataclass(frozen=True)
class ExperimentEmail:
    """An email sent for an experiment: its viewer, and each pick's arm in the email's order."""

    job_id: str
    user_id: str
    arms: tuple[str | None, ...]


@dataclass(frozen=True)
class ArmFigures:
    name: str
    viewers: int
    emails: int
    clicks: int
    clicked_emails: int
    """Emails with at least one click; A/B's click-through is these over ``emails``."""

    @property
    def click_through(self) -> float:
        return self.clicked_emails / self.emails if self.emails else 0.0


@dataclass(frozen=True)
class Comparison:
    """Arm ``second`` against arm ``first``, tested at ``alpha``."""

    first: str
    second: str
    evidence: Evidence
    """A/B: ``second``'s click-through minus ``first``'s. Interleaving: the share of decided
    lists ``second`` won."""
    alpha: float
    """The experiment's alpha, shared equally among its comparisons."""

    @property
    def interval(self) -> tuple[float, float]:
        return self.evidence.interval(self.alpha)

    @property
    def better(self) -> str | None:
        """The arm the test shows better; none until it rejects the null."""
        if not self.evidence.rejects(self.alpha):
            return None
        return self.second if self.evidence.estimate > self.evidence.null else self.first


@dataclass(frozen=True)
class ExperimentStatus:
    experiment: Experiment
    arms: tuple[ArmFigures, ...]
    comparisons: tuple[Comparison, ...]
    """Every pair of arms (interleaving has one)."""
    decided_lists: int
    """Interleaving: lists whose clicks preferred one arm (0 for A/B)."""

    @property
    def verdict(self) -> Verdict:
        if self.winner is not None:
            return Verdict.WINNER
        min_effect = self.experiment.min_effect
        if all(c.evidence.within(c.alpha, min_effect) for c in self.comparisons):
            return Verdict.NO_DIFFERENCE
        return Verdict.NOT_YET

    @property
    def winner(self) -> str | None:
        """The arm shown better than every other arm, if one is."""
        for arm in self.experiment.arms:
            mine = [c for c in self.comparisons if arm.name in (c.first, c.second)]
            if all(c.better == arm.name for c in mine):
                return arm.name
        return None


def experiment_status(
    experiment: Experiment,
    emails: Iterable[ExperimentEmail],
    clicked: Mapping[str, frozenset[int]],
) -> ExperimentStatus:
    """``clicked``: job id → the 1-based positions of its followed pick links."""
    emails = list(emails)
    figures = tuple(_figures(arm.name, emails, clicked) for arm in experiment.arms)
    if experiment.design is Design.INTERLEAVING:
        lists = _decided_lists(experiment, emails, clicked)
        control, challenger = (arm.name for arm in experiment.arms)
        only = Comparison(control, challenger, share_of_wins(lists), experiment.alpha)
        return ExperimentStatus(experiment, figures, (only,), int(lists.emails))
    sums = {arm.name: _viewer_sums(arm.name, emails, clicked) for arm in experiment.arms}
    pairs = list(combinations(sums, 2))
    each = experiment.alpha / len(pairs)
    comparisons = tuple(
        Comparison(first, second, two_rates(sums[first], sums[second]), each)
        for first, second in pairs
    )
    return ExperimentStatus(experiment, figures, comparisons, 0)


def _figures(
    arm: str, emails: list[ExperimentEmail], clicked: Mapping[str, frozenset[int]]
) -> ArmFigures:
    mine = [email for email in emails if arm in email.arms]
    clicks = [
        position
        for email in mine
        for position in clicked.get(email.job_id, frozenset())
        if _arm_at(email, position) == arm
    ]
    return ArmFigures(
        name=arm,
        viewers=len({email.user_id for email in mine}),
        emails=len(mine),
        clicks=len(clicks),
        clicked_emails=sum(
            1
            for email in mine
            if any(_arm_at(email, p) == arm for p in clicked.get(email.job_id, ()))
        ),
    )


def _arm_at(email: ExperimentEmail, position: int) -> str | None:
    return email.arms[position - 1] if 0 < position <= len(email.arms) else None


def _viewer_sums(
    arm: str, emails: list[ExperimentEmail], clicked: Mapping[str, frozenset[int]]
) -> ViewerSums:
    per_viewer: dict[str, list[int]] = {}
    for email in emails:
        if arm in email.arms:
            counts = per_viewer.setdefault(email.user_id, [0, 0])
            counts[0] += 1
            counts[1] += bool(clicked.get(email.job_id))
    sums = ViewerSums()
    for sent, with_click in per_viewer.values():
        sums.add(sent, with_click)
    return sums


def _decided_lists(
    experiment: Experiment, emails: list[ExperimentEmail], clicked: Mapping[str, frozenset[int]]
) -> ViewerSums:
    """Per viewer: lists whose clicks preferred an arm, and those the second arm won."""
    names = [arm.name for arm in experiment.arms]
    per_viewer: dict[str, list[int]] = {}
    for email in emails:
        teams = [names.index(arm) if arm in names else -1 for arm in email.arms]
        positions = [p - 1 for p in clicked.get(email.job_id, ()) if 0 < p <= len(teams)]
        winner = credit(teams, [p for p in positions if teams[p] >= 0])
        if winner is not None:
            counts = per_viewer.setdefault(email.user_id, [0, 0])
            counts[0] += 1
            counts[1] += winner
    lists = ViewerSums()
    for decided, wins in per_viewer.values():
        lists.add(decided, wins)
    return lists
