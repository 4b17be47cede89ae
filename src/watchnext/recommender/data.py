"""A Personalize-format dataset folder (from `watchnext prepare`) as sparse matrices."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
from scipy.sparse import csr_matrix

from watchnext.datasets.engine import dataset_csv
from watchnext.domain.events import CLICK, DEFAULT_CLICK_WEIGHT, TOP_RATING
from watchnext.domain.items_file import read_items
from watchnext.domain.sentiment import DEFAULT_DISLIKE_BELOW, DEFAULT_LIKE_AT, Sentiment
from watchnext.recommender.errors import RecommenderError

SEEN = np.float32(1e-6)
"""The confidence of a title the viewer saw without liking it: kept as an entry so that it is
excluded from the picks, but adding no preference. A dislike is stored as ``-SEEN``, so that
serving can tell it from a neutral rating (models train on the magnitude)."""


@dataclass(frozen=True)
class ConfidenceRule:
    """How an explicit rating becomes implicit confidence: ``alpha * value`` for a like (a
    rating at or above ``like_at``), or ``alpha`` for every like when ``binary``. Below
    ``like_at`` a rating is never positive evidence: ``SEEN`` in the neutral band, ``-SEEN``
    below ``dislike_below`` (`watchnext.domain.sentiment`). implicit's ALS reads the matrix
    value as confidence directly; alpha = 1 did best on MovieLens (1, 10 and 40 were
    compared)."""

    alpha: float = 1.0
    like_at: float = DEFAULT_LIKE_AT
    dislike_below: float = DEFAULT_DISLIKE_BELOW
    binary: bool = False

    def __post_init__(self) -> None:
        try:
            Sentiment(like_at=self.like_at, dislike_below=self.dislike_below)
        except ValueError as error:
            raise RecommenderError(str(error)) from None

    @property
    def sentiment(self) -> Sentiment:
        return Sentiment(like_at=self.like_at, dislike_below=self.dislike_below)

    def weights(self, values: np.ndarray) -> np.ndarray:
        base = np.ones_like(values) if self.binary else values
        unliked = np.where(values < self.dislike_below, -SEEN, SEEN)
        weighted = np.where(values >= self.like_at, self.alpha * base, unliked)
        return weighted.astype(np.float32)

    def weight(self, value: float) -> float:
        return float(self.weights(np.array([value], dtype=np.float32))[0])


@dataclass
class Interactions:
    """One row per (user, item): the latest rating and time. Ids are dense indexes."""

    user_ids: np.ndarray  # index → USER_ID (str)
    item_ids: np.ndarray  # index → ITEM_ID (str)
    users: np.ndarray  # per interaction: user index
    items: np.ndarray  # per interaction: item index
    values: np.ndarray  # per interaction: EVENT_VALUE
    timestamps: np.ndarray  # per interaction: TIMESTAMP
    titles: dict[str, str] = field(default_factory=dict)
    checksum: str = ""
    clicks: np.ndarray | None = None
    """Per interaction: True for a CLICK with no rating of the same title (weighed by type,
    ``click_weight`` of a top rating, whatever the sentiment rule)."""
    click_weight: float = DEFAULT_CLICK_WEIGHT

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.user_ids), len(self.item_ids)

    def matrix(self, rule: ConfidenceRule, mask: np.ndarray | None = None) -> csr_matrix:
        """users-by-items confidence matrix, optionally of the interactions where ``mask``."""
        users, items, values = self.users, self.items, self.values
        weights = rule.weights(values)
        if self.clicks is not None:
            clicked = max(self.click_weight * rule.weight(TOP_RATING), float(SEEN))
            weights = np.where(self.clicks, np.float32(clicked), weights)
        if mask is not None:
            users, items, weights = users[mask], items[mask], weights[mask]
        return csr_matrix((weights, (users, items)), shape=self.shape, dtype=np.float32)

    def time_matrix(self, matrix: csr_matrix, mask: np.ndarray | None = None) -> csr_matrix | None:
        """When each entry of ``matrix`` (from `matrix`) happened, with the same sparsity;
        None if the two cannot be aligned."""
        users, items, times = self.users, self.items, self.timestamps
        if mask is not None:
            users, items, times = users[mask], items[mask], times[mask]
        timed = csr_matrix((times.astype(np.float64), (users, items)), shape=self.shape)
        timed.sort_indices()
        matrix.sort_indices()
        return timed if _aligned(timed, matrix) else None


def _aligned(times: csr_matrix, matrix: csr_matrix) -> bool:
    return bool(
        np.array_equal(times.indptr, matrix.indptr)
        and np.array_equal(times.indices, matrix.indices)
    )


def dataset_checksum(folder: Path) -> str:
    """The interactions file's SHA-256, from the manifest when `prepare` wrote one."""
    manifest = folder / "manifest.json"
    if manifest.exists():
        recorded = json.loads(manifest.read_text()).get("files", {}).get("interactions.csv", {})
        if recorded.get("sha256"):
            return str(recorded["sha256"])
    digest = hashlib.sha256()
    with (folder / "interactions.csv").open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_interactions(folder: Path, click_weight: float = DEFAULT_CLICK_WEIGHT) -> Interactions:
    """Read ``interactions.csv`` (and titles from ``items.csv``) of a prepared dataset. A
    CLICK counts as ``click_weight`` of a top rating, and never outweighs a rating of the
    same title: a viewer who rated a title and then clicked it keeps their rating (and what
    the rating says, a dislike included)."""
    path = folder / "interactions.csv"
    if not path.exists():
        raise RecommenderError(
            f"{folder}: no interactions.csv; prepare a dataset first "
            "(watchnext data fetch movielens-100k; watchnext prepare ...)"
        )
    con = duckdb.connect(":memory:")
    con.execute(
        f"""CREATE TEMP TABLE raw AS
            SELECT USER_ID::VARCHAR u, ITEM_ID::VARCHAR i, TIMESTAMP::BIGINT t,
                   CASE WHEN EVENT_TYPE = '{CLICK}' THEN {TOP_RATING}
                        ELSE coalesce(TRY_CAST(EVENT_VALUE AS DOUBLE), 1.0) END v,
                   EVENT_TYPE IS DISTINCT FROM '{CLICK}' rated
            FROM {dataset_csv(path)}"""
    ).fetchall()
    con.execute(
        """CREATE TEMP TABLE latest AS
           SELECT u, i, max(t) t, arg_max(v, (rated::INT, t)) v, NOT bool_or(rated) clicked
           FROM raw GROUP BY u, i"""
    ).fetchall()
    user_ids = con.execute("SELECT DISTINCT u FROM latest ORDER BY u").fetchnumpy()["u"]
    item_ids = con.execute("SELECT DISTINCT i FROM latest ORDER BY i").fetchnumpy()["i"]
    columns = con.execute(
        """SELECT dense_rank() OVER (ORDER BY u) - 1 AS user, dense_rank() OVER (ORDER BY i) - 1
                  AS item, v, t, clicked
           FROM latest ORDER BY user, t, item"""
    ).fetchnumpy()
    con.close()
    titles: dict[str, str] = {}
    if (folder / "items.csv").exists():
        with (folder / "items.csv").open(newline="", encoding="utf-8") as stream:
            titles = {row.item_id: row.title for row in read_items(stream) if row.title}
    if len(user_ids) == 0:
        raise RecommenderError(f"{path}: no interactions to train on")
    return Interactions(
        user_ids=np.asarray(user_ids, dtype=object),
        item_ids=np.asarray(item_ids, dtype=object),
        users=np.asarray(columns["user"], dtype=np.int64),
        items=np.asarray(columns["item"], dtype=np.int64),
        values=np.asarray(columns["v"], dtype=np.float32),
        timestamps=np.asarray(columns["t"], dtype=np.int64),
        titles=titles,
        checksum=dataset_checksum(folder),
        clicks=np.asarray(columns["clicked"], dtype=bool),
        click_weight=click_weight,
    )
