"""`watchnext data fetch movielens-100k`: MovieLens 100K into the local data folder.

Sources, in order: a RecBole wheel given by path; GroupLens' own zip; the files shipped
inside the ``recbole`` 1.2.1 wheel, fetched with ``pip download`` (for machines that reach
only package registries). GroupLens' terms allow research use and forbid redistribution:
the files are cached locally and never committed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from watchnext.datasets.errors import DatasetError

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
GROUPLENS_FILES = ("u.data", "u.item", "u.user")
RECBOLE_REQUIREMENT = "recbole==1.2.1"
RECBOLE_MEMBERS = tuple(
    f"recbole/dataset_example/ml-100k/ml-100k.{kind}" for kind in ("inter", "item", "user")
)
LICENCE_NOTE = (
    "MovieLens 100K is provided by GroupLens Research for research use; it may not be "
    "redistributed (https://grouplens.org/datasets/movielens/). Keep it out of git."
)

Log = Callable[[str], None]


def is_cached(target: Path) -> bool:
    return all((target / name).exists() for name in GROUPLENS_FILES) or all(
        (target / Path(member).name).exists() for member in RECBOLE_MEMBERS
    )


def extract_from_wheel(wheel: Path, target: Path) -> Path:
    """Copy MovieLens 100K's three files out of a RecBole wheel (a zip) into ``target``."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            missing = [m for m in RECBOLE_MEMBERS if m not in names]
            if missing:
                raise DatasetError(
                    f"{wheel}: not a RecBole wheel with MovieLens 100K ({missing[0]} missing)"
                )
            target.mkdir(parents=True, exist_ok=True)
            for member in RECBOLE_MEMBERS:
                (target / Path(member).name).write_bytes(archive.read(member))
    except (zipfile.BadZipFile, FileNotFoundError) as error:
        raise DatasetError(f"{wheel}: cannot read it as a wheel ({error})") from None
    return target


def _from_grouplens(target: Path, timeout: float) -> Path:
    with urllib.request.urlopen(GROUPLENS_URL, timeout=timeout) as response:
        payload = response.read()
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        target.mkdir(parents=True, exist_ok=True)
        for name in GROUPLENS_FILES:
            (target / name).write_bytes(archive.read(f"ml-100k/{name}"))
    return target


def _from_package_registry(target: Path) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        completed = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "-d",
                scratch,
                RECBOLE_REQUIREMENT,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        wheels = list(Path(scratch).glob("recbole-*.whl"))
        if completed.returncode != 0 or not wheels:
            reason = (completed.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise DatasetError(f"pip download {RECBOLE_REQUIREMENT} failed: {reason}")
        return extract_from_wheel(wheels[0], target)


def fetch_movielens_100k(
    data_dir: Path,
    *,
    wheel: Path | None = None,
    use_network: bool = True,
    timeout: float = 15.0,
    log: Log = lambda message: None,
) -> Path:
    """The folder holding MovieLens 100K under ``data_dir``, fetching it if needed."""
    target = data_dir / "movielens-100k"
    if wheel is not None:
        log(f"extracting MovieLens 100K from {wheel}")
        return extract_from_wheel(wheel, target)
    if is_cached(target):
        log(f"MovieLens 100K already in {target}")
        return target
    if not use_network:
        raise DatasetError(
            f"MovieLens 100K is not in {target} and the network is off; pass --wheel PATH to a "
            f"RecBole wheel ({RECBOLE_REQUIREMENT}: pip download --no-deps {RECBOLE_REQUIREMENT})"
        )
    attempts = []
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    sources: list[tuple[str, Callable[[], Path]]] = [
        ("GroupLens", lambda: _from_grouplens(staging, timeout)),
        (f"PyPI ({RECBOLE_REQUIREMENT})", lambda: _from_package_registry(staging)),
    ]
    for label, fetch in sources:
        log(f"fetching MovieLens 100K from {label}")
        try:
            fetch()
        except (
            OSError,
            DatasetError,
            zipfile.BadZipFile,
            KeyError,
            subprocess.SubprocessError,
        ) as error:
            attempts.append(f"{label}: {error}")
            shutil.rmtree(staging, ignore_errors=True)
            continue
        shutil.rmtree(target, ignore_errors=True)
        staging.replace(target)
        log(LICENCE_NOTE)
        return target
    raise DatasetError(
        "could not fetch MovieLens 100K; tried\n  "
        + "\n  ".join(attempts)
        + f"\nOffline? Download the RecBole wheel elsewhere (pip download --no-deps "
        f"{RECBOLE_REQUIREMENT}) and pass it with --wheel PATH."
    )
