"""Saving and loading a `LocalRecommender` as a versioned artifact folder.

``meta.json`` records the format, the model and its parameters, the confidence rule, the
recency weighting, the library versions and the training data's checksum; ``arrays.npz`` the
training matrix and when each interaction happened; ``similarity.npz`` the item-item
similarity the recency blend uses;
``model.npz`` implicit's own save; ``ids.json`` the user and item ids and titles.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from scipy.sparse import csr_matrix

from watchnext import __version__
from watchnext.domain.events import DEFAULT_CLICK_WEIGHT, InteractionEvent
from watchnext.recommender.algorithms import REGISTRY, algorithm_class
from watchnext.recommender.data import ConfidenceRule
from watchnext.recommender.errors import ArtifactMismatchError, RecommenderError
from watchnext.recommender.models import LocalRecommender
from watchnext.recommender.recency import Recency

FORMAT = 3  # 2: times, recency, similarity; 3: sentiment (signed dislikes), chosen serving
LIBRARIES = ("implicit", "numpy", "scipy")


def library_versions() -> dict[str, str]:
    return {"watchnext": __version__, **{name: version(name) for name in LIBRARIES}}


def _minor(text: str) -> str:
    return ".".join(text.split(".")[:2])


def save(
    model: LocalRecommender,
    folder: Path,
    *,
    data_checksum: str,
    serving: dict[str, Any] | None = None,
) -> Path:
    """Write the artifact; the folder is replaced only once every file is written.
    ``serving`` records how the serving settings were chosen (`choose_for_training`)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        meta = {
            "format": FORMAT,
            **model.describe(),
            "random_state": model.random_state,
            "versions": library_versions(),
            "data": {
                "checksum": data_checksum,
                "users": len(model.user_ids),
                "items": len(model.item_ids),
                "interactions": int(model.train.nnz),
            },
            "serving": serving or {"chosen_on": "nothing", "why": "given or defaults"},
        }
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        (staging / "ids.json").write_text(
            json.dumps({"users": model.user_ids, "items": model.item_ids, "titles": model.titles})
        )
        np.savez(
            staging / "arrays.npz",
            data=model.train.data,
            indices=model.train.indices,
            indptr=model.train.indptr,
            shape=np.array(model.train.shape),
            **({} if model.times is None else {"times": model.times.data}),
        )
        if model.similarity is not None:
            scipy.sparse.save_npz(staging / "similarity.npz", model.similarity)
        model.algorithm.save(staging)
        if folder.exists():
            shutil.rmtree(folder)
        staging.replace(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def read_meta(folder: Path) -> dict[str, Any]:
    path = folder / "meta.json"
    if not path.exists():
        raise RecommenderError(
            f"{folder}: not a model artifact (no meta.json); run watchnext train"
        )
    meta: dict[str, Any] = json.loads(path.read_text())
    return meta


def trained_params(folder: Path) -> dict[str, Any]:
    """The parameters that made the artifact at ``folder``, as `LocalRecommender.fit` takes
    them: the model's own, its serving recency and its sentiment rule."""
    meta = read_meta(folder)
    rule = meta["confidence"]
    return {
        **meta["params"],
        **meta["recency"],
        "like_at": rule["like_at"],
        "dislike_below": rule["dislike_below"],
    }


def artifact_id(folder: Path) -> str:
    """A short, stable id of a trained artifact: its kind and a hash of its meta.json (which
    holds the data's checksum, the parameters and the library versions)."""
    meta = (folder / "meta.json").read_bytes()
    return f"{read_meta(folder)['model']}-{hashlib.sha256(meta).hexdigest()[:12]}"


def check_compatible(meta: dict[str, Any], folder: Path, expected_checksum: str | None) -> None:
    """Refuse an artifact this installation or this dataset cannot use, saying why."""
    if meta.get("format") != FORMAT:
        raise ArtifactMismatchError(
            f"{folder}: artifact format {meta.get('format')}, this WatchNext reads format "
            f"{FORMAT}; retrain with `watchnext train`"
        )
    if meta.get("model") not in REGISTRY:
        raise ArtifactMismatchError(f"{folder}: unknown model {meta.get('model')!r}")
    installed = library_versions()
    for name in LIBRARIES:
        built = meta.get("versions", {}).get(name, "?")
        if _minor(built) != _minor(installed[name]):
            raise ArtifactMismatchError(
                f"{folder}: trained with {name} {built}, this environment has "
                f"{installed[name]}; retrain with `watchnext train` or install {name}=={built}"
            )
    trained_on = meta.get("data", {}).get("checksum")
    if expected_checksum is not None and trained_on != expected_checksum:
        raise ArtifactMismatchError(
            f"{folder}: trained on data with checksum {str(trained_on)[:12]}…, but this dataset "
            f"is {expected_checksum[:12]}…; retrain with `watchnext train --data DIR`"
        )


def load(
    folder: Path,
    *,
    expected_checksum: str | None = None,
    click_weight: float = DEFAULT_CLICK_WEIGHT,
    history: Callable[[str], Iterable[InteractionEvent]] | None = None,
) -> LocalRecommender:
    """The artifact as a recommender; ``history`` gives a viewer's recorded events (the event
    store), to rebuild the live rows it evicts."""
    meta = read_meta(folder)
    check_compatible(meta, folder, expected_checksum)
    ids = json.loads((folder / "ids.json").read_text())
    arrays = np.load(folder / "arrays.npz")
    shape = tuple(arrays["shape"])
    train = csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
    times = None
    if "times" in arrays.files:
        times = csr_matrix((arrays["times"], arrays["indices"], arrays["indptr"]), shape=shape)
    similarity = None
    if (folder / "similarity.npz").exists():
        similarity = scipy.sparse.load_npz(folder / "similarity.npz").tocsr()
    algorithm = algorithm_class(meta["model"]).load(folder, meta["params"])
    return LocalRecommender(
        algorithm=algorithm,
        rule=ConfidenceRule(**meta["confidence"]),
        user_ids=ids["users"],
        item_ids=ids["items"],
        train=train,
        random_state=meta["random_state"],
        titles=ids.get("titles", {}),
        recency=Recency(**meta["recency"]),
        times=times,
        similarity=similarity,
        model_id=artifact_id(folder),
        click_weight=click_weight,
        history=history,
    )


__all__ = ["artifact_id", "check_compatible", "load", "read_meta", "save"]
