"""The local API gateway: the review API's handler over HTTP, as API Gateway runs it.

The no-Docker stand-in for `sam local start-api`: each HTTP request becomes an API Gateway
REST proxy event, and what API Gateway answers itself is answered here alike
(`watchnext.adapters.http.routes`: an unknown method or path, a missing API key, a payload
over its quota); the handler's proxy response becomes the HTTP response. Served by
waitress, a production WSGI server, with a thread pool.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.adapters.http.routes import MAX_PAYLOAD_BYTES, route_for
from watchnext.adapters.local.in_flight import InFlight

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class LocalGateway:
    """A WSGI application in front of the review API, handing it one event at a time.

    Powertools' resolvers keep the current event in a class attribute
    (``BaseRouter.current_event``), shared by every resolver in the process: two requests
    handled at once can each read the other's body. Lambda runs one event per container, so
    the gateway does the same; the server's threads still read and write sockets in parallel.
    """

    def __init__(
        self, api: ReviewApi, api_key: str, stage: str = "local", in_flight: InFlight | None = None
    ) -> None:
        self.api = api
        self.in_flight = in_flight or InFlight()
        self._one_event_at_a_time = threading.Lock()
        self.api_key = api_key
        self.stage = stage

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ["REQUEST_METHOD"])
        try:  # WSGI hands the path over as latin-1; API Gateway decodes it as UTF-8
            path = str(environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8")
        except UnicodeError:
            return _reply(start_response, 400, {"message": "The path is not valid UTF-8"})
        headers = {
            key[5:].replace("_", "-").title(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["Content-Type"] = str(environ["CONTENT_TYPE"])
        route = route_for(method, path)
        if route is None:
            return _reply(start_response, 403, {"message": "Missing Authentication Token"})
        if route[0].key_required and not _same_key(headers.get("X-Api-Key"), self.api_key):
            return _reply(start_response, 403, {"message": "Forbidden"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_PAYLOAD_BYTES:
            return _reply(start_response, 413, {"message": "Request Too Long"})
        body, base64_body = _body(environ["wsgi.input"].read(length) if length else None)
        query = dict(parse_qsl(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True))
        event = proxy_event(
            method,
            path,
            body=body,
            headers=headers,
            query=query or None,
            stage=self.stage,
            source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
            base64_body=base64_body,
            headers_as_sent=True,
        )
        with self.in_flight.request(), self._one_event_at_a_time:
            response = self.api.handle(
                event, LocalLambdaContext(function_name="watchnext-local-api")
            )
        response_headers = [
            (name, str(values[-1]))
            for name, values in (response.get("multiValueHeaders") or {}).items()
        ]
        response_headers += [
            (name, str(value)) for name, value in (response.get("headers") or {}).items()
        ]
        payload = str(response.get("body") or "").encode()
        status = int(response["statusCode"])
        start_response(
            f"{status} {_reason(status)}",
            [*response_headers, ("Content-Length", str(len(payload)))],
        )
        return [payload]


def _body(raw: bytes | None) -> tuple[str | None, bool]:
    """The body as text, or, when it is not UTF-8, as base64 with ``isBase64Encoded``: the
    handler then refuses it naming the body, never reading U+FFFD into a review."""
    if raw is None:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _reply(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        f"{status} {_reason(status)}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _same_key(given: str | None, expected: str) -> bool:
    """Compared in constant time, so response timing tells nothing about the key."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
