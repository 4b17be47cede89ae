"""The route table the local gateway serves is template.yaml's, method for method."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import template
from watchnext.adapters.http.routes import ROUTES, Route, route_for


def template_routes() -> set[Route]:
    api_auth = template()["Resources"]["ReviewApi"]["Properties"]["Auth"]
    routes = set()
    for spec in template()["Resources"].values():
        events: dict[str, Any] = spec.get("Properties", {}).get("Events") or {}
        for event in events.values():
            if event["Type"] != "Api":
                continue
            props = event["Properties"]
            needs_key = props.get("Auth", {}).get("ApiKeyRequired", api_auth["ApiKeyRequired"])
            routes.add(Route(props["Method"].upper(), props["Path"], key_required=needs_key))
    return routes


def test_the_local_routes_are_the_templates() -> None:
    assert set(ROUTES) == template_routes()


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/users/★fan/recommendations", ("/users/{user_id}/recommendations", "★fan")),
        ("GET", "/users//recommendations", None),
        ("GET", "/users/a/b/recommendations", None),
        ("DELETE", "/reviews", None),
        ("GET", "/reviews", None),
        ("GET", "reviews", None),
    ],
)
def test_a_path_matches_a_resource_or_nothing(
    method: str, path: str, expected: tuple[str, str] | None
) -> None:
    found = route_for(method, path)
    got = None if found is None else (found[0].resource, *found[1].values())
    assert got == expected
