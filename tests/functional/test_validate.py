"""Each Personalize rule, broken on purpose: the failure names the rule and the rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchnext.datasets import schemas
from watchnext.datasets.validate import validate_dataset

HEADER = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"


def good_rows(users: int = 50, per_user: int = 25) -> list[str]:
    return [
        f"u{u},i{(u + k) % 40},{1_400_000_000 + k},RATING,{1 + k % 5}.0\n"
        for u in range(users)
        for k in range(per_user)
    ]


def check(tmp_path: Path, rows: list[str], header: str = HEADER) -> list[str]:
    (tmp_path / "interactions.csv").write_text(header + "".join(rows), encoding="utf-8")
    result = validate_dataset(tmp_path, {"interactions": schemas.interactions_schema(False)})
    return [str(f) for f in result.failures]


def test_a_good_dataset_passes(tmp_path: Path) -> None:
    assert check(tmp_path, good_rows()) == []


def test_fewer_than_1000_interactions_fails(tmp_path: Path) -> None:
    (failure,) = check(tmp_path, good_rows(users=40, per_user=30)[:999])
    assert "at least 1,000 interactions: found 999" in failure


def test_fewer_than_25_users_with_two_interactions_fails(tmp_path: Path) -> None:
    rows = good_rows(users=24, per_user=50) + [
        f"solo{u},i1,1400000000,RATING,1.0\n" for u in range(10)
    ]
    (failure,) = check(tmp_path, rows)
    assert "at least 25 users with 2 or more interactions: found 24" in failure


def test_ids_longer_than_256_characters_fail_with_examples(tmp_path: Path) -> None:
    rows = good_rows()
    rows[7] = f"u1,{'x' * 257},1400000000,RATING,1.0\n"
    (failure,) = check(tmp_path, rows)
    assert "ITEM_ID has at most 256 characters: 1 rows break it" in failure
    assert "xxxx" in failure


def test_millisecond_timestamps_fail(tmp_path: Path) -> None:
    rows = good_rows()
    rows[3] = "u1,i1,1400000000000,RATING,1.0\n"
    (failure,) = check(tmp_path, rows)
    assert "TIMESTAMP is Unix epoch seconds" in failure
    assert "1400000000000" in failure


def test_a_value_of_the_wrong_type_fails(tmp_path: Path) -> None:
    rows = good_rows()
    rows[2] = "u1,i1,1400000000,RATING,five\n"
    (failure,) = check(tmp_path, rows)
    assert "EVENT_VALUE is a float" in failure
    assert "'five'" in failure


def test_broken_quoting_fails_with_the_line(tmp_path: Path) -> None:
    rows = good_rows()
    rows[4] = 'u1,"Unclosed, title,1400000000,RATING,1.0\n'
    failures = check(tmp_path, rows)
    assert any("well-formed CSV" in f and "line" in f for f in failures), failures


def test_a_header_that_does_not_match_the_schema_fails(tmp_path: Path) -> None:
    (failure,) = check(tmp_path, good_rows(), header="USER,ITEM,TIME,TYPE,VALUE\n")
    assert "header matches the schema" in failure


def test_repeated_item_ids_in_items_fail(tmp_path: Path) -> None:
    (tmp_path / "interactions.csv").write_text(HEADER + "".join(good_rows()))
    (tmp_path / "items.csv").write_text("ITEM_ID,TITLE,GENRES,YEAR\ni1,A,Drama,\ni1,B,Drama,\n")
    result = validate_dataset(
        tmp_path,
        {"interactions": schemas.interactions_schema(False), "items": schemas.items_schema()},
    )
    assert [f.rule for f in result.failures] == ["ITEM_ID is unique"]


@pytest.mark.parametrize("length", [1000, 1001])
def test_categorical_values_over_1000_characters_fail(tmp_path: Path, length: int) -> None:
    (tmp_path / "interactions.csv").write_text(HEADER + "".join(good_rows()))
    (tmp_path / "items.csv").write_text(f"ITEM_ID,TITLE,GENRES,YEAR\ni1,A,Drama|{'g' * length},\n")
    result = validate_dataset(
        tmp_path,
        {"interactions": schemas.interactions_schema(False), "items": schemas.items_schema()},
    )
    assert [f.rule for f in result.failures] == (
        [] if length == 1000 else ["categorical GENRES values have at most 1000 characters"]
    )
