"""Personalize's runtime as the review function meets it, answering from what it was sent:
PutEvents records each viewer's items; GetRecommendations ranks the catalog's items, leaving
out the viewer's own when a filter is given (the deployed filter excludes interacted items).

Used with `AwsAccount.answer_with`, so every call is still validated by botocore, authorized
for the caller's role and checked against Personalize's limits before it is answered."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_NUM_RESULTS = 25
"""GetRecommendations' numResults when it is not sent (API_RS_GetRecommendations)."""


@dataclass
class PersonalizeDouble:
    catalog: list[str]
    seen: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def events(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if operation != "PutEvents":
            raise NotImplementedError(f"personalize-events {operation}")
        user = str(params.get("userId") or params["sessionId"])
        self.seen[user].update(str(event["itemId"]) for event in params["eventList"])
        return {}

    def runtime(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if operation != "GetRecommendations":
            raise NotImplementedError(f"personalize-runtime {operation}")
        excluded = self.seen[str(params["userId"])] if params.get("filterArn") else set()
        picks = [item for item in self.catalog if item not in excluded]
        picks = picks[: int(params.get("numResults", DEFAULT_NUM_RESULTS))]
        return {
            "itemList": [
                {"itemId": item, "score": round(1 / (rank + 2), 4)}
                for rank, item in enumerate(picks)
            ],
            "recommendationId": f"RID-{uuid.uuid4()}",
        }
