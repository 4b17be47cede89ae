"""`prepare` on small files of every format: counts, the preset's rules, quoting, determinism."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.datasets import (
    HOSTILE_TITLES,
    amazon_row,
    many_reviews,
    write_amazon_2023,
    write_amazon_tsv,
    write_movielens,
)
from watchnext.datasets.errors import DatasetError
from watchnext.datasets.prepare import Filters, prepare, resolve_filters


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_malformed_lines_are_counted_and_skipped_not_fatal(tmp_path: Path) -> None:
    good = many_reviews()
    cut_short = "\t".join(good[0].split("\t")[:6])
    too_many = good[1] + "\textra"
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", [cut_short, *good[2:], too_many])

    manifest = prepare("amazon-tsv", [source], tmp_path / "out", Filters())

    assert manifest.counts["malformed_rows_skipped"] == 2
    assert manifest.counts["rows_read"] == len(good) - 2
    assert manifest.counts["interactions"] == len(good) - 2
    assert manifest.validation["passed"] is True


def test_stray_quotes_do_not_merge_lines(tmp_path: Path) -> None:
    rows = many_reviews()
    rows[3] = amazon_row("2000", 'He said "Maybe', 4, "2014-05-05", body='half "quoted')
    source = write_amazon_tsv(tmp_path / "in.tsv", rows, gz=False)

    manifest = prepare("amazon-tsv", [source], tmp_path / "out", Filters(item_key="title"))

    assert manifest.counts["rows_read"] == len(rows)
    titles = {r["ITEM_ID"] for r in rows_of(tmp_path / "out" / "interactions.csv")}
    assert 'He said "Maybe' in titles


def test_the_original_preset_strips_dedupes_collapses_and_keeps_2011_on(tmp_path: Path) -> None:
    rows = [
        *many_reviews(),
        # the same review twice (new review_id): counted once in the mean
        amazon_row("9", " Lucy ", 5, "2014-01-01", review_id="A", verified="N"),
        amazon_row("9", " Lucy ", 5, "2014-01-01", review_id="B", verified="N"),
        # same user, same stripped title, another ASIN, later and verified
        amazon_row("9", "Lucy", 2, "2015-03-01", review_id="C", product="B0OTHER", verified="Y"),
        # before 2011: dropped
        amazon_row("9", "Lucy", 1, "2010-12-31", review_id="D"),
    ]
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", rows)

    prepare(
        "amazon-tsv", [source], tmp_path / "out", resolve_filters("original"), preset="original"
    )

    lucy = [r for r in rows_of(tmp_path / "out" / "interactions.csv") if r["USER_ID"] == "9"]
    assert lucy == [
        {
            "USER_ID": "9",
            "ITEM_ID": "Lucy",
            "TIMESTAMP": str(1425168000),  # 2015-03-01, the latest
            "EVENT_TYPE": "RATING",
            "EVENT_VALUE": "3.5",  # mean of 5 (duplicate counted once) and 2
            "EVENT_VERIFIED_PURCHASE": "Y",  # verified if any was
        }
    ]


def test_filters_apply_rating_threshold_and_minimum_counts(tmp_path: Path) -> None:
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews(users=40, per_user=30))
    filters = Filters(min_rating=4, min_user_interactions=5, min_item_interactions=3)

    manifest = prepare("amazon-tsv", [source], tmp_path / "out", filters)

    rows = rows_of(tmp_path / "out" / "interactions.csv")
    assert rows
    assert all(float(r["EVENT_VALUE"]) >= 4 for r in rows)
    assert manifest.counts["interactions"] == len(rows)
    per_item: dict[str, int] = {}
    for row in rows:
        per_item[row["ITEM_ID"]] = per_item.get(row["ITEM_ID"], 0) + 1
    assert min(per_item.values()) >= 3


def test_hostile_titles_survive_the_csv_round_trip(tmp_path: Path) -> None:
    files = write_amazon_2023(tmp_path / "in")

    prepare("amazon-2023", files, tmp_path / "out", Filters(item_key="title"))

    items = {r["ITEM_ID"]: r for r in rows_of(tmp_path / "out" / "items.csv")}
    for i, title in enumerate(HOSTILE_TITLES):
        assert f"{title} {i}" in items
    interaction_ids = {r["ITEM_ID"] for r in rows_of(tmp_path / "out" / "interactions.csv")}
    assert interaction_ids == set(items)


def test_amazon_2023_reads_ms_timestamps_verified_flags_and_meta_titles(tmp_path: Path) -> None:
    files = write_amazon_2023(tmp_path / "in", malformed=2)

    manifest = prepare("amazon-2023", files, tmp_path / "out", Filters())

    assert manifest.counts["malformed_rows_skipped"] == 2
    rows = rows_of(tmp_path / "out" / "interactions.csv")
    assert len(rows) == 40 * 30
    assert {r["EVENT_VERIFIED_PURCHASE"] for r in rows} == {"Y", "N"}
    assert min(int(r["TIMESTAMP"]) for r in rows) == 1_600_000_000
    items = rows_of(tmp_path / "out" / "items.csv")
    assert items[0]["TITLE"] == f"{HOSTILE_TITLES[0]} 0"
    assert items[0]["GENRES"] == "Movies & TV|Drama"


@pytest.mark.parametrize("layout", ["100k", "1m", "latest"])
def test_movielens_layouts_give_interactions_items_and_users(tmp_path: Path, layout: str) -> None:
    folder = write_movielens(tmp_path / layout, layout)

    manifest = prepare("movielens", [folder], tmp_path / "out", Filters())

    assert manifest.counts["interactions"] == sum(
        1 for u in range(1, 51) for m in range(1, 41) if (u + m) % 3
    )
    items = {r["ITEM_ID"]: r for r in rows_of(tmp_path / "out" / "items.csv")}
    assert items["3"]["YEAR"] == "1993"
    assert "Drama" in items["3"]["GENRES"]
    has_users = layout != "latest"
    assert (tmp_path / "out" / "users.csv").exists() is has_users
    assert manifest.validation["passed"] is True


def test_the_same_input_gives_byte_identical_output(tmp_path: Path) -> None:
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews())
    for run in ("a", "b"):
        prepare(
            "amazon-tsv", [source], tmp_path / run, resolve_filters("original"), preset="original"
        )

    for name in ("interactions.csv", "items.csv", "manifest.json", "interactions.schema.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_the_manifest_records_inputs_filters_counts_and_time_range(tmp_path: Path) -> None:
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews())
    prepare(
        "amazon-tsv", [source], tmp_path / "out", resolve_filters("original"), preset="original"
    )

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())

    assert manifest["inputs"][0]["bytes"] == source.stat().st_size
    assert len(manifest["inputs"][0]["sha256"]) == 64
    assert manifest["filters"]["min_year"] == 2011
    assert manifest["preset"] == "original"
    assert manifest["time_range"]["first"].startswith("2014-01")
    assert manifest["files"]["interactions.csv"]["rows"] == manifest["counts"]["interactions"]
    assert manifest["tool"]["watchnext"]


def test_a_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        prepare("amazon-tsv", [tmp_path / "nope.tsv.gz"], tmp_path / "out", Filters())


def test_an_empty_gzip_is_read_as_zero_rows_not_a_crash(tmp_path: Path) -> None:
    source = tmp_path / "empty.tsv.gz"
    with gzip.open(source, "wt") as out:
        out.write("\t".join(["marketplace"] * 15) + "\n")
    manifest = prepare("amazon-tsv", [source], tmp_path / "out", Filters())
    assert manifest.counts["interactions"] == 0
    assert manifest.validation["passed"] is False


title_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00\t\r\n"),
    min_size=1,
    max_size=60,
).filter(lambda t: t.strip() == t and t.strip() != "")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(titles=st.lists(title_text, min_size=1, max_size=8, unique=True))
def test_any_title_round_trips_through_the_written_csv(tmp_path: Path, titles: list[str]) -> None:
    rows = [
        amazon_row(f"{u}", titles[u % len(titles)], 5, "2014-01-01", review_id=f"R{u}")
        for u in range(len(titles))
    ]
    source = write_amazon_tsv(tmp_path / "in.tsv", rows, gz=False)
    prepare("amazon-tsv", [source], tmp_path / "out", Filters(item_key="title"))

    written = {r["ITEM_ID"] for r in rows_of(tmp_path / "out" / "interactions.csv")}
    assert written == set(titles)


def test_a_quoted_title_far_into_the_file_is_read_back_intact(tmp_path: Path) -> None:
    # DuckDB's sniffer samples the first ~20k rows; our readers state the quoting instead.
    rows = [
        amazon_row(f"{u}", f"Plain {u % 900}", 4, "2014-02-02", review_id=f"R{u}")
        for u in range(30_000)
    ]
    rows.append(amazon_row("99999", "Hello, Goodbye", 5, "2014-02-03", review_id="Rq"))
    rows.append(amazon_row("99998", "Hello, Goodbye", 3, "2014-02-04", review_id="Rr"))
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", rows)
    prepare("amazon-tsv", [source], tmp_path / "out", Filters(item_key="title"))

    from watchnext.datasets.report import write_report

    report = write_report(tmp_path / "out", tmp_path / "out" / "report").read_text()
    assert "| 30,002 |" in report  # every interaction read back
