"""API Gateway REST in front of a handler, as its developer guide documents it.

What it answers itself comes from `watchnext.adapters.http.routes` (template.yaml's routes,
checked in test_routes.py). A request it passes on becomes the proxy event it builds: the
path percent-decoded as UTF-8 into ``path`` and ``pathParameters``; the query string split
into ``queryStringParameters`` (the last value of a repeated name) and its multi-value form;
the headers as sent, with their multi-value form; a body that is not valid UTF-8 passed as
base64 with ``isBase64Encoded`` (what it does with such a body under a text media type is not
documented; the handler refuses it in either form, test_contract_parity.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.adapters.http.routes import MAX_PAYLOAD_BYTES, route_for

Handler = Callable[[dict[str, Any]], dict[str, Any]]
Answer = tuple[int, dict[str, str], bytes]


class ApiGateway:
    def __init__(self, handler: Handler, api_key: str) -> None:
        self.handler = handler
        self.api_key = api_key

    def request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> Answer:
        parts = urlsplit(target)
        path = unquote(parts.path, errors="strict")
        route = route_for(method, path)
        if route is None:
            return _own(403, "Missing Authentication Token")
        sent_key = next((v for k, v in headers.items() if k.lower() == "x-api-key"), None)
        if route[0].key_required and sent_key != self.api_key:
            return _own(403, "Forbidden")
        if body is not None and len(body) > MAX_PAYLOAD_BYTES:
            return _own(413, "Request Too Long")
        response = self.handler(self._event(method, path, parts.query, headers, body))
        answer_headers = {
            k: str(v[-1]) for k, v in (response.get("multiValueHeaders") or {}).items()
        }
        answer_headers |= {k: str(v) for k, v in (response.get("headers") or {}).items()}
        return int(response["statusCode"]), answer_headers, str(response["body"] or "").encode()

    def _event(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, Any]:
        text, encoded = None, False
        if body is not None:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text, encoded = base64.b64encode(body).decode("ascii"), True
        pairs = parse_qsl(query, keep_blank_values=True)
        event = proxy_event(
            method, path, body=text, headers=headers, query=dict(pairs) or None,
            base64_body=encoded, stage="test", headers_as_sent=True,
        )  # fmt: skip
        if pairs:
            multi: dict[str, list[str]] = {}
            for name, value in pairs:
                multi.setdefault(name, []).append(value)
            event["multiValueQueryStringParameters"] = multi
        return event


def _own(status: int, message: str) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()
