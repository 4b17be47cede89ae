"""MovieLens fetch from a wheel, S3 upload and s3:// inputs (moto), the synthetic dump."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from tests.support.datasets import many_reviews, write_amazon_tsv, write_recbole_wheel
from watchnext.datasets import fetch
from watchnext.datasets.errors import DatasetError
from watchnext.datasets.prepare import Filters, prepare
from watchnext.datasets.storage import resolve_inputs, upload_dataset
from watchnext.datasets.synth import SynthSpec, synthetic_lines
from watchnext.datasets.synth import write_amazon_tsv as synth_tsv

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def test_movielens_is_taken_from_a_wheel_given_by_path(tmp_path: Path) -> None:
    wheel = write_recbole_wheel(tmp_path / "recbole-1.2.1-py3-none-any.whl")

    folder = fetch.fetch_movielens_100k(tmp_path / "data", wheel=wheel)

    assert sorted(p.name for p in folder.iterdir()) == [
        "ml-100k.inter",
        "ml-100k.item",
        "ml-100k.user",
    ]
    manifest = prepare("movielens", [folder], tmp_path / "out", Filters())
    assert manifest.counts == {
        "rows_read": 1200, "malformed_rows_skipped": 0, "rows_kept_after_filters": 1200,
        "interactions": 1200, "users": 40, "items": 30,
    }  # fmt: skip
    assert (tmp_path / "out" / "items.csv").read_text().splitlines()[
        1
    ] == "1,Film 1 (1995),Drama|Comedy,1995"


def test_a_file_that_is_not_a_recbole_wheel_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.whl"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="cannot read it as a wheel"):
        fetch.fetch_movielens_100k(tmp_path / "data", wheel=bogus)


def test_a_cached_copy_is_used_without_the_network(tmp_path: Path) -> None:
    wheel = write_recbole_wheel(tmp_path / "r.whl")
    fetch.fetch_movielens_100k(tmp_path / "data", wheel=wheel)
    assert fetch.fetch_movielens_100k(tmp_path / "data", use_network=False).name == "movielens-100k"


def test_with_no_source_reachable_the_error_says_what_was_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(fetch, "_from_grouplens", unreachable)
    monkeypatch.setattr(fetch, "_from_package_registry", unreachable)

    with pytest.raises(DatasetError) as caught:
        fetch.fetch_movielens_100k(tmp_path / "data")

    message = str(caught.value)
    assert "GroupLens: network is unreachable" in message
    assert "--wheel PATH" in message
    assert not (tmp_path / "data" / "movielens-100k").exists()


def test_offline_without_a_cache_names_the_flag_to_use(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="--wheel PATH"):
        fetch.fetch_movielens_100k(tmp_path / "data", use_network=False)


@pytest.fixture
def s3() -> Iterator[S3Client]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="watchnext-data")
        yield client


def test_upload_puts_each_file_in_the_training_layout_with_checksums(
    tmp_path: Path, s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("watchnext.datasets.storage.MULTIPART_THRESHOLD", 5 * 1024 * 1024)
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews(users=800, per_user=200))
    prepare("amazon-tsv", [source], tmp_path / "out", Filters())
    assert (tmp_path / "out" / "interactions.csv").stat().st_size > 5 * 1024 * 1024  # multipart

    uploaded = upload_dataset(tmp_path / "out", "s3://watchnext-data/runs/1", client=s3)

    assert set(uploaded) == {
        "interactions/interactions.csv", "items/items.csv", "manifest.json",
        "schemas/interactions.schema.json", "schemas/items.schema.json",
    }  # fmt: skip
    head = s3.head_object(
        Bucket="watchnext-data", Key="runs/1/interactions/interactions.csv", ChecksumMode="ENABLED"
    )
    assert head["ContentLength"] == (tmp_path / "out" / "interactions.csv").stat().st_size
    assert "ChecksumSHA256" in head


def test_upload_refuses_a_dataset_that_failed_validation(tmp_path: Path, s3: S3Client) -> None:
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews(users=3, per_user=3))
    prepare("amazon-tsv", [source], tmp_path / "out", Filters())
    with pytest.raises(DatasetError, match="failed validation"):
        upload_dataset(tmp_path / "out", "s3://watchnext-data/x", client=s3)


def test_s3_inputs_are_downloaded_then_read(tmp_path: Path, s3: S3Client) -> None:
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews())
    s3.upload_file(str(source), "watchnext-data", "dumps/in.tsv.gz")

    (local,) = resolve_inputs(
        ["s3://watchnext-data/dumps/in.tsv.gz"], client=s3, cache=tmp_path / "c"
    )

    assert local.read_bytes() == source.read_bytes()
    with pytest.raises(DatasetError, match="cannot download"):
        resolve_inputs(["s3://watchnext-data/missing.gz"], client=s3, cache=tmp_path / "c")


def test_the_synthetic_dump_is_deterministic_and_has_the_hazards(tmp_path: Path) -> None:
    spec = SynthSpec(rows=20_000, seed=3, malformed_every=5_000)
    first, second = tmp_path / "a.tsv.gz", tmp_path / "b.tsv.gz"
    synth_tsv(first, spec)
    synth_tsv(second, spec)
    assert gzip.decompress(first.read_bytes()) == gzip.decompress(second.read_bytes())

    lines = list(synthetic_lines(spec))
    fields = [line.split("\t") for line in lines[1:]]
    assert sum(len(f) != 15 for f in fields) == 3  # malformed lines
    good = [f for f in fields if len(f) == 15]
    assert sum(f[2].startswith("D") for f in good) > 0  # duplicated reviews
    assert any(f[5] != f[5].strip() for f in good)  # titles with stray spaces
    assert any('"' in f[13] for f in good)  # stray quotes in bodies
    assert {f[14][:4] for f in good} <= {str(y) for y in range(1999, 2016)}
    per_title: dict[str, set[str]] = {}
    for f in good:
        per_title.setdefault(f[5].strip(), set()).add(f[3])
    assert max(len(asins) for asins in per_title.values()) > 1  # several ASINs per title
    assert json.dumps(spec.__dict__)
