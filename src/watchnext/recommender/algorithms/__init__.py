"""The local model kinds, by name. Each kind is one `Algorithm` subclass in a module of its
own; adding one is that module and one line of `REGISTRY`. The table holds import paths, so
checking a name (the CLI does) imports no NumPy."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from watchnext.recommender.errors import RecommenderError

if TYPE_CHECKING:
    from watchnext.recommender.algorithms.base import Algorithm

REGISTRY: dict[str, str] = {
    "popularity": "watchnext.recommender.algorithms.popularity:Popularity",
    "als": "watchnext.recommender.algorithms.als:Als",
    "bpr": "watchnext.recommender.algorithms.bpr:Bpr",
    "itemknn": "watchnext.recommender.algorithms.itemknn:ItemKnn",
    "ease": "watchnext.recommender.algorithms.ease:EaseAlgorithm",
}
_classes: dict[str, type[Algorithm]] = {}


def model_kinds() -> tuple[str, ...]:
    return tuple(REGISTRY)


def register(kind: str, algorithm: type[Algorithm]) -> None:
    """Add a kind at run time (a plug-in, a test's own model): ``algorithm.kind`` is ``kind``."""
    REGISTRY[kind] = f"{algorithm.__module__}:{algorithm.__qualname__}"
    _classes[kind] = algorithm


def unregister(kind: str) -> None:
    REGISTRY.pop(kind, None)
    _classes.pop(kind, None)


def check_kind(kind: str) -> str:
    if kind not in REGISTRY:
        raise RecommenderError(f"unknown model {kind!r}; choose one of {', '.join(REGISTRY)}")
    return kind


def algorithm_class(kind: str) -> type[Algorithm]:
    """The class of ``kind``, imported on first use."""
    if kind not in _classes:
        module, _, name = REGISTRY[check_kind(kind)].partition(":")
        _classes[kind] = getattr(importlib.import_module(module), name)
    return _classes[kind]
