"""Local paths or s3:// URIs for the pipeline's inputs; uploads into the training layout.

The S3 layout the training state machine reads, under ``s3://BUCKET/PREFIX/``::

    interactions/interactions.csv     Personalize import job for the interactions dataset
    items/items.csv                   ... for the items dataset
    users/users.csv                   ... for the users dataset (when the source has users)
    schemas/<name>.schema.json        the Avro schemas
    manifest.json                     counts, checksums, filters, validation result
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchnext.datasets.errors import DatasetError
from watchnext.datasets.schemas_io import DATASETS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MULTIPART_THRESHOLD = 64 * 1024 * 1024


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise DatasetError(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise DatasetError(f"{uri!r} names no bucket")
    return bucket, key.strip("/")


def _s3(client: S3Client | None) -> S3Client:
    if client is not None:
        return client
    import boto3

    return boto3.client("s3")


def resolve_inputs(
    inputs: Sequence[str], *, client: S3Client | None = None, cache: Path | None = None
) -> list[Path]:
    """Local paths as they are; s3:// objects downloaded into ``cache`` first."""
    resolved = []
    for item in inputs:
        if not item.startswith("s3://"):
            resolved.append(Path(item))
            continue
        bucket, key = split_s3_uri(item)
        folder = cache or Path(tempfile.mkdtemp(prefix="watchnext-inputs-"))
        target = folder / bucket / key
        target.parent.mkdir(parents=True, exist_ok=True)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            _s3(client).download_file(bucket, key, str(target))
        except (BotoCoreError, ClientError) as error:
            raise DatasetError(f"cannot download {item}: {error}") from None
        resolved.append(target)
    return resolved


def upload_dataset(
    directory: Path,
    destination: str,
    *,
    client: S3Client | None = None,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, str]:
    """Upload a prepared dataset folder into the training layout; returns key → URI.

    Refuses a folder whose manifest records a failed validation, unless ``force``.
    Large files go up in parts; every object carries a SHA-256 checksum that S3 verifies.
    """
    from boto3.s3.transfer import TransferConfig

    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise DatasetError(f"{directory}: no manifest.json; run `watchnext prepare` first")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    if not manifest.get("validation", {}).get("passed", False) and not force:
        raise DatasetError(
            f"{directory}: the dataset failed validation (see manifest.json); "
            "fix it or pass --force"
        )
    bucket, prefix = split_s3_uri(destination)
    files = {f"{name}/{name}.csv": directory / f"{name}.csv" for name in DATASETS}
    files.update(
        {f"schemas/{name}.schema.json": directory / f"{name}.schema.json" for name in DATASETS}
    )
    files["manifest.json"] = manifest_path
    config = TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_THRESHOLD
    )
    s3 = _s3(client)
    uploaded = {}
    for key, path in files.items():
        if not path.exists():
            continue
        full_key = f"{prefix}/{key}" if prefix else key
        log(f"uploading {path.name} → s3://{bucket}/{full_key}")
        s3.upload_file(
            str(path), bucket, full_key, Config=config, ExtraArgs={"ChecksumAlgorithm": "SHA256"}
        )
        uploaded[key] = f"s3://{bucket}/{full_key}"
    return uploaded
