"""The local gateway hands the review API one event at a time, as a Lambda container does."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast
from wsgiref.util import setup_testing_defaults

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.entrypoints.gateway import LocalGateway


def test_powertools_resolvers_share_the_current_event_which_is_why_the_gateway_serializes() -> None:
    """If this fails, Powertools keeps the event per resolver, and the gateway's lock can go."""
    first, second = APIGatewayRestResolver(), APIGatewayRestResolver()
    first.resolve(proxy_event("GET", "/a"), cast(Any, None))
    second.resolve(proxy_event("GET", "/b"), cast(Any, None))

    assert first.current_event.path == "/b"


class OverlapSpy:
    """Stands for the review API; counts how many events it handles at the same time."""

    def __init__(self) -> None:
        self.active = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def handle(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        with self._lock:
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
        time.sleep(0.02)
        with self._lock:
            self.active -= 1
        return {"statusCode": 200, "headers": {}, "body": event["path"]}


def test_concurrent_requests_reach_the_api_one_at_a_time() -> None:
    spy = OverlapSpy()
    gateway = LocalGateway(cast(ReviewApi, spy), api_key="k")

    def request(n: int) -> str:
        environ: dict[str, Any] = {
            "HTTP_X_API_KEY": "k",
            "PATH_INFO": f"/users/{n}/recommendations",
        }
        setup_testing_defaults(environ)
        return b"".join(gateway(environ, lambda _status, _headers: None)).decode()

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(request, range(24)))

    assert bodies == [f"/users/{n}/recommendations" for n in range(24)]
    assert spy.most_at_once == 1
