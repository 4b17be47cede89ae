"""Titles for the local stack, from the model artifact's catalog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from watchnext.domain.recommendation import CatalogItem


class InMemoryCatalog:
    def __init__(
        self, titles: Mapping[str, str], genres: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        known = genres or {}
        self._items = {
            item: CatalogItem(item, title, known.get(item, ())) for item, title in titles.items()
        }

    def lookup(self, item_ids: Iterable[str]) -> Mapping[str, CatalogItem]:
        return {i: self._items[i] for i in item_ids if i in self._items}
