"""Online experiments: recommenders (arms) compared on real viewers.

An experiment splits viewers between its arms by a salted hash of the viewer id (`arm_for`):
stable for a viewer, uniform over viewers, independent between experiments. Its design is
either A/B (each viewer is served by one arm) or team-draft interleaving (each list mixes
two arms' rankings, and a click is credited to the arm that contributed the pick;
Radlinski, Kurup & Joachims, "How does clickthrough data reflect retrieval quality?",
CIKM 2008). Nothing here imports more than the standard library: the review Lambda uses it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

from watchnext.domain.events import InteractionEvent
from watchnext.domain.recommendation import RecommendationList
from watchnext.errors import WatchNextError

if TYPE_CHECKING:
    import random

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
"""Experiment and arm names: they travel in pick links and event attribution sources."""


class ExperimentError(WatchNextError):
    """An experiment that cannot run as described; the message says what to change."""


class Design(StrEnum):
    AB = "ab"
    INTERLEAVING = "interleaving"


@dataclass(frozen=True)
class Arm:
    name: str
    recommender: str
    """What serves the arm: locally a model artifact's folder; on AWS a campaign ARN."""
    share: float = 1.0
    """The arm's weight in an A/B split (normalised over the arms)."""


DEFAULT_ALPHA = 0.05
DEFAULT_MIN_EFFECT = 0.02


@dataclass(frozen=True)
class Experiment:
    name: str
    arms: tuple[Arm, ...]
    design: Design
    started_at: datetime
    alpha: float = DEFAULT_ALPHA
    """The false-winner rate the sequential test guarantees, however often it is watched."""
    min_effect: float = DEFAULT_MIN_EFFECT
    """The smallest difference worth knowing about: when the always-valid interval lies
    within ±min_effect, the verdict is "no difference at this size". For A/B it is in
    click-through (emails with a click); for interleaving in the share of decided lists one
    arm wins, above one half."""
    salt: str = field(default="")
    """Mixed into the split's hash; the name when empty, so experiments split independently."""

    def __post_init__(self) -> None:
        _check_name("experiment", self.name)
        if len(self.arms) < 2:
            raise ExperimentError(f"experiment {self.name!r} needs at least two arms")
        for arm in self.arms:
            _check_name("arm", arm.name)
            if not arm.share > 0:
                raise ExperimentError(f"arm {arm.name!r}: its share must be above 0")
        if len({arm.name for arm in self.arms}) != len(self.arms):
            raise ExperimentError(f"experiment {self.name!r}: arm names must differ")
        if self.design is Design.INTERLEAVING and len(self.arms) != 2:
            raise ExperimentError("team-draft interleaving compares exactly two arms")
        if not 0 < self.alpha < 0.5:
            raise ExperimentError("alpha must be between 0 and 0.5, e.g. 0.05")
        if not 0 < self.min_effect < 0.5:
            raise ExperimentError("min_effect must be between 0 and 0.5, e.g. 0.02")

    def arm_named(self, name: str) -> Arm:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise ExperimentError(f"experiment {self.name!r} has no arm {name!r}")

    def arm_for(self, viewer_id: str) -> Arm:
        """The viewer's arm in an A/B split: the same every time, in proportion to shares."""
        point = split_point(self.salt or self.name, viewer_id) * sum(a.share for a in self.arms)
        for arm in self.arms:
            if point < arm.share:
                return arm
            point -= arm.share
        return self.arms[-1]  # only by rounding at the very top

    def to_json(self) -> str:
        """The experiment as the local database and the SSM parameter keep it."""
        return json.dumps(
            {
                "name": self.name,
                "design": self.design.value,
                "arms": [asdict(arm) for arm in self.arms],
                "started_at": self.started_at.timestamp(),
                "alpha": self.alpha,
                "min_effect": self.min_effect,
                "salt": self.salt,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Experiment:
        try:
            data = json.loads(text)
            return cls(
                name=data["name"],
                arms=tuple(Arm(**arm) for arm in data["arms"]),
                design=Design(data["design"]),
                started_at=datetime.fromtimestamp(float(data["started_at"]), UTC),
                alpha=float(data["alpha"]),
                min_effect=float(data["min_effect"]),
                salt=str(data.get("salt", "")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ExperimentError(f"not an experiment ({type(error).__name__}: {error})") from None


def split_point(salt: str, viewer_id: str) -> float:
    """A point in [0, 1) fixed by (salt, viewer): the first 64 bits of a SHA-256."""
    digest = hashlib.sha256(f"{salt}\x00{viewer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _check_name(what: str, name: str) -> None:
    if not NAME.match(name):
        raise ExperimentError(
            f"{what} name {name!r}: use 1-63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )


Item = TypeVar("Item", bound=Hashable)


@dataclass(frozen=True)
class Interleaved(Generic[Item]):
    """A team-draft list: ``items`` in order, and for each the arm (0 or 1) that drafted it."""

    items: tuple[Item, ...]
    teams: tuple[int, ...]


def team_draft(
    first: Sequence[Item], second: Sequence[Item], length: int, rng: random.Random
) -> Interleaved[Item]:
    """Team-draft interleaving (Radlinski et al. 2008, algorithm 2): each round, the arm
    with fewer picks so far (a coin toss when even) drafts its best title not yet taken.
    When one ranking runs out, the other drafts the rest."""
    rankings = (first, second)
    cursors = [0, 0]
    items: list[Item] = []
    teams: list[int] = []
    taken: set[Item] = set()
    counts = [0, 0]

    def next_of(team: int) -> Item | None:
        ranking = rankings[team]
        while cursors[team] < len(ranking) and ranking[cursors[team]] in taken:
            cursors[team] += 1
        return ranking[cursors[team]] if cursors[team] < len(ranking) else None

    while len(items) < length:
        behind = 0 if counts[0] < counts[1] else 1
        team = behind if counts[0] != counts[1] else rng.randrange(2)
        item = next_of(team)
        if item is None:
            team = 1 - team
            item = next_of(team)
            if item is None:
                break
        items.append(item)
        teams.append(team)
        taken.add(item)
        counts[team] += 1
    return Interleaved(tuple(items), tuple(teams))


def credit(teams: Sequence[int], clicked: Sequence[int]) -> int | None:
    """The arm a list's clicks prefer: the one whose drafted picks got more of them, or None
    on a tie (no clicks included). ``clicked``: 0-based positions clicked."""
    wins = [0, 0]
    for position in clicked:
        wins[teams[position]] += 1
    if wins[0] == wins[1]:
        return None
    return 0 if wins[0] > wins[1] else 1


def served_list(
    experiment: Experiment,
    user_id: str,
    n: int,
    ask: Callable[[str], RecommendationList],
) -> RecommendationList:
    """The list ``experiment`` serves ``user_id``: their arm's (A/B) or both arms' mixed
    (interleaving). ``ask(recommender)``: that arm's top ``n`` (a model, a campaign)."""
    if experiment.design is Design.INTERLEAVING:
        return interleaved(experiment, [ask(arm.recommender) for arm in experiment.arms], n)
    arm = experiment.arm_for(user_id)
    return tagged(ask(arm.recommender), experiment, arm)


def tagged(ranked: RecommendationList, experiment: Experiment, arm: Arm) -> RecommendationList:
    """An A/B arm's list, each pick marked with the arm that made it."""
    return replace(
        ranked,
        items=tuple(replace(item, arm=arm.name) for item in ranked.items),
        experiment=experiment.name,
    )


def interleaved(
    experiment: Experiment, lists: Sequence[RecommendationList], n: int
) -> RecommendationList:
    """The team-draft mix of the two arms' lists (a fresh coin per list), each pick marked
    with the arm that drafted it. No recommendation id: neither arm's list was shown."""
    import random  # only where lists are mixed: the review function's cold start skips it

    first, second = lists
    by_arm = [{item.item_id: item for item in ranked.items} for ranked in lists]
    mixed = team_draft(first.item_ids, second.item_ids, n, random.Random())  # noqa: S311 - a team draft's coin, not a secret
    return RecommendationList(
        # each pick as the arm that drafted it scored and explained it
        items=tuple(
            replace(by_arm[team][item], arm=experiment.arms[team].name)
            for item, team in zip(mixed.items, mixed.teams, strict=True)
        ),
        experiment=experiment.name,
    )


def attribution_source(event: InteractionEvent, experiment: Experiment | None) -> str:
    """Personalize's ``eventAttributionSource`` for ``event``: its source, and the arm it
    counts for (``email/als-vs-pop/treatment``), so metric attribution counts each arm apart
    (at most 100 sources: 3 channels times the arms). In A/B that is the viewer's arm; in
    interleaving only a click has one, the arm that drafted the followed pick."""
    source = str(event.source)
    if experiment is None:
        return source
    if experiment.design is Design.AB:
        return f"{source}/{experiment.name}/{experiment.arm_for(event.user_id).name}"
    if event.drafted_by is not None:
        return f"{source}/{experiment.name}/{event.drafted_by}"
    return source
