"""Synthetic review dumps in the legacy Amazon TSV layout, for scale tests and benchmarks.

Shaped like amazon_reviews_us_Digital_Video_Download_v1_00 (see README, "Synthetic data"):
power-law users and titles, dates 1999 to 2015-08-31 skewed to the recent years, several
ASINs per title, titles with stray spaces, commas, quotes and markup, exact duplicate
reviews, repeated (user, title) pairs, and malformed lines.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import numpy as np

from watchnext.datasets.amazon_tsv import COLUMNS

FIRST_DAY = date(1999, 1, 1)
LAST_DAY = date(2015, 8, 31)
RATING_SHARES = (0.07, 0.05, 0.09, 0.17, 0.62)  # mean ≈ 4.2, as in the real dump
WORDS = [
    "night",
    "city",
    "love",
    "last",
    "dark",
    "river",
    "story",
    "lost",
    "house",
    "king",
    "girl",
    "war",
    "road",
    "star",
    "blue",
    "secret",
    "time",
    "dead",
    "life",
    "world",
    "family",
    "summer",
    "winter",
    "game",
    "man",
    "woman",
    "shadow",
    "fire",
    "return",
    "heart",
    "light",
    "edge",
    "dream",
    "island",
    "home",
    "black",
    "red",
    "golden",
    "first",
    "final",
    "wild",
]
ODD_TITLES = (
    'The "Best" Of Times',
    "Tom & Jerry <Classic> Collection",
    "Hello, Goodbye, and Everything Between",
    'He Said "Maybe',
    "Ça ne va pas, non?",
    "Season 1, Episode 2: Pilot",
)


@dataclass(frozen=True)
class SynthSpec:
    rows: int
    seed: int = 7
    users_per_row: float = 0.55  # the real dump: 2,018,155 customers in 3,998,345 rows
    rows_per_title: float = 50.0  # fewer titles than the real 90,627: 77,535 remain after 2011
    asins_per_title: float = 1.8  # 163,187 product ids
    duplicate_share: float = 0.01
    malformed_every: int = 50_000
    mean_body_chars: int = 165
    chunk_rows: int = 100_000


def _power_law_cdf(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    cdf: np.ndarray = np.cumsum(weights) / weights.sum()
    return cdf


class _Catalog:
    def __init__(self, spec: SynthSpec, rng: np.random.Generator) -> None:
        n_titles = max(10, int(spec.rows / spec.rows_per_title))
        n_users = max(10, int(spec.rows * spec.users_per_row))
        words = np.array(WORDS)
        picks = rng.integers(0, len(words), size=(n_titles, 3))
        self.titles = [
            f"{words[a].title()} {words[b].title()} {words[c]} {i}"
            for i, (a, b, c) in enumerate(picks)
        ]
        for i, odd in enumerate(ODD_TITLES):  # hostile titles among the popular ones
            self.titles[i * 7 % n_titles] = odd
        self.title_cdf = _power_law_cdf(n_titles, 1.05)
        self.user_cdf = _power_law_cdf(n_users, 0.55)
        self.user_ids = rng.permutation(n_users) + 10_000_000
        asin_counts = 1 + rng.poisson(spec.asins_per_title - 1, n_titles)
        self.asin_offsets = np.concatenate([[0], np.cumsum(asin_counts)])
        self.asin_counts = asin_counts
        self.parents = rng.integers(100_000_000, 999_999_999, n_titles)
        lengths = np.clip(rng.lognormal(np.log(spec.mean_body_chars), 0.9, 20_000), 5, 6000)
        vocabulary = [*WORDS, "great", "movie", "boring", "loved", "it", "the", "a", 'so "good"']
        self.bodies = [
            " ".join(rng.choice(vocabulary, size=max(1, int(n) // 6)))[: int(n)] for n in lengths
        ]
        self.headlines = [
            " ".join(rng.choice(vocabulary, size=int(k))) for k in rng.integers(1, 8, 2_000)
        ]
        self.days = (LAST_DAY - FIRST_DAY).days


def _dates(rng: np.random.Generator, n: int, span_days: int) -> list[str]:
    # Activity grows over the years: most reviews are recent, as in the real dump.
    offsets = (span_days * rng.random(n) ** 0.25).astype(int)
    return [(FIRST_DAY + timedelta(days=int(d))).isoformat() for d in offsets]


def _chunk(
    spec: SynthSpec, catalog: _Catalog, rng: np.random.Generator, start: int, n: int
) -> list[str]:
    titles_idx = np.searchsorted(catalog.title_cdf, rng.random(n))
    users = catalog.user_ids[np.searchsorted(catalog.user_cdf, rng.random(n))]
    asin_pick = catalog.asin_offsets[titles_idx] + (
        rng.integers(0, 1 << 30, n) % catalog.asin_counts[titles_idx]
    )
    ratings = rng.choice(5, size=n, p=RATING_SHARES) + 1
    verified = np.where(rng.random(n) < 0.8, "Y", "N")
    total_votes = rng.poisson(0.8, n)
    helpful = (total_votes * rng.random(n)).astype(int)
    bodies = rng.integers(0, len(catalog.bodies), n)
    headlines = rng.integers(0, len(catalog.headlines), n)
    dates = _dates(rng, n, catalog.days)
    padding = rng.random(n)
    titles = [catalog.titles[t] for t in titles_idx]
    for i in np.flatnonzero(padding < 0.02):  # stray spaces around a title
        titles[i] = f" {titles[i]}" if padding[i] < 0.01 else f"{titles[i]}  "
    columns = (
        ["US"] * n,
        users.astype(str).tolist(),
        [f"R{start + i:013d}" for i in range(n)],
        [f"B{a:09d}" for a in asin_pick.tolist()],
        catalog.parents[titles_idx].astype(str).tolist(),
        titles,
        ["Digital_Video_Download"] * n,
        ratings.astype(str).tolist(),
        helpful.astype(str).tolist(),
        total_votes.astype(str).tolist(),
        ["N"] * n,
        verified.tolist(),
        [catalog.headlines[h] for h in headlines.tolist()],
        [catalog.bodies[b] for b in bodies.tolist()],
        dates,
    )
    lines = list(map("\t".join, zip(*columns, strict=True)))
    duplicates = rng.integers(0, n, int(n * spec.duplicate_share))
    for i in duplicates:  # the same review again under a new review_id
        fields_list = lines[i].split("\t")
        fields_list[2] = f"D{start + int(i):013d}"
        lines.append("\t".join(fields_list))
    return lines


def _malformed(rng: np.random.Generator, line: str) -> str:
    fields = line.split("\t")
    if rng.random() < 0.5:
        return "\t".join(fields[: rng.integers(3, 12)])  # a line cut short
    fields.insert(int(rng.integers(1, 14)), "stray\tcolumn")  # too many columns
    return "\t".join(fields)


def synthetic_lines(spec: SynthSpec) -> Iterator[str]:
    """The header, then about ``spec.rows`` review lines (duplicates included)."""
    rng = np.random.default_rng(spec.seed)
    catalog = _Catalog(spec, rng)
    yield "\t".join(COLUMNS)
    written = 0
    base_rows = int(spec.rows / (1 + spec.duplicate_share))
    while written < base_rows:
        n = min(spec.chunk_rows, base_rows - written)
        for i, line in enumerate(_chunk(spec, catalog, rng, written, n)):
            if (written + i + 1) % spec.malformed_every == 0:
                yield _malformed(rng, line)
            else:
                yield line
        written += n


def write_amazon_tsv(
    path: Path, spec: SynthSpec, progress: Callable[[int], None] | None = None
) -> int:
    """Write the synthetic dump (gzip when ``path`` ends in .gz); returns lines written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    count = 0
    with tmp.open("wb") as raw, _compressor(raw, gzipped=path.suffix == ".gz") as out:
        batch: list[str] = []
        for line in synthetic_lines(spec):
            batch.append(line)
            if len(batch) == 50_000:
                out.write(("\n".join(batch) + "\n").encode())
                count += len(batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            out.write(("\n".join(batch) + "\n").encode())
            count += len(batch)
            if progress:
                progress(len(batch))
    tmp.replace(path)
    return count


@contextmanager
def _compressor(raw: IO[bytes], *, gzipped: bool) -> Iterator[IO[bytes] | gzip.GzipFile]:
    """gzip (level 1: the text is repetitive and slow to squeeze harder) in a separate process
    when the gzip tool exists, so compression runs on another
    core while Python generates lines; Python's gzip module otherwise."""
    if not gzipped:
        yield raw
        return
    tool = shutil.which("gzip")
    if tool is None:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as out:
            yield out
        return
    process = subprocess.Popen([tool, "-1", "-c"], stdin=subprocess.PIPE, stdout=raw)  # noqa: S603
    assert process.stdin is not None
    try:
        yield process.stdin
    finally:
        process.stdin.close()
        if process.wait() != 0:
            raise OSError(f"gzip exited with {process.returncode}")
