"""A hostile client's corpus against a running stack: the parity table's API cases, raw HTTP
a well-behaved client would never send, and every web-app callback fed values outside its
type. Nothing may answer 5xx or show a traceback.

    python -m tests.support.hostile --api-url API_URL --web-url WEB_URL --api-key KEY

(the URLs a running `watchnext demo` prints, its key in its state folder) prints the counts
by status as JSON (used for issue 24's before and after figures)."""

from __future__ import annotations

import argparse
import http.client
import json
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.functional.parity_cases import CASES

HOSTILE_VALUES: list[Any] = [
    None, -1, 10**19, "abc", [1], [5], [], {}, {"id": 1}, "x" * 5000, [{"id": 5}],
    [{"title": "no id"}], True, 1.5, ["Visit http://evil.example now"],
]  # fmt: skip
RAW_REQUESTS = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /users/a/recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /reviews HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /reviews HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
    b"POST /reviews HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"GET /users/%ZZ/recommendations HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /users/%FF%FE/recommendations HTTP/1.1\r\nHost: x\r\nx-api-key: KEY\r\n\r\n",
    b"GET /users/a\x00b/recommendations HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 70_000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nx-api-key: KEY\r\nx-api-key: other\r\n\r\n",
    b"POST /reviews HTTP/1.1\r\nHost: x\r\nx-api-key: KEY\r\nContent-Type: application/json\r\n"
    b'Content-Length: 10\r\n\r\n{"a":',
    b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /r/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
]


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)

    def note(self, name: str, status: int, body: bytes) -> None:
        self.statuses[status] += 1
        if status >= 500:
            self.server_errors.append(f"{name}: {status} {body[:200]!r}")
        if b"Traceback" in body:
            self.tracebacks.append(name)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "by_status": dict(sorted(self.statuses.items())),
            "server_errors": self.server_errors, "tracebacks": self.tracebacks,
        }  # fmt: skip


def _request(
    url: str, method: str, target: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def api_cases(api_url: str, api_key: str, tally: Tally) -> None:
    for case in CASES:
        headers = dict(case.headers)
        if case.api_key is not None:
            headers["x-api-key"] = api_key if case.api_key == "k" else case.api_key
        tally.note(case.name, *_request(api_url, case.method, case.target, case.body, headers))


def raw_requests(api_url: str, api_key: str, tally: Tally) -> None:
    parts = urlsplit(api_url)
    for index, raw in enumerate(RAW_REQUESTS):
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=30) as s:
            s.sendall(raw.replace(b"KEY", api_key.encode()))
            s.shutdown(socket.SHUT_WR)
            answer = b"".join(iter(lambda: s.recv(65536), b""))
        status_line = answer.split(b"\r\n", 1)[0].split()
        status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
        tally.note(f"raw #{index}", status, answer)


def callback_payloads(web_url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    status, raw = _request(web_url, "GET", "/_dash-dependencies", None, {"Host": "127.0.0.1"})
    assert status == 200, status
    for spec in json.loads(raw):
        key = spec["output"]
        outputs = [
            {"id": item.split(".")[0], "property": item.split(".")[1].split("@")[0]}
            for item in key.strip(".").split("...")
        ]
        parameters = [("inputs", i) for i in spec["inputs"]] + [
            ("state", s) for s in spec.get("state", [])
        ]
        for kind, target in parameters:
            for value in HOSTILE_VALUES:
                payload: dict[str, Any] = {
                    "output": key,
                    "outputs": outputs if key.startswith("..") else outputs[0],
                    "inputs": [dict(i, value=None) for i in spec["inputs"]],
                    "state": [dict(s, value=None) for s in spec.get("state", [])],
                    "changedPropIds": [
                        f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"
                    ],
                }
                for item in payload[kind]:
                    if item["id"] == target["id"] and item["property"] == target["property"]:
                        item["value"] = value
                yield f"{key[:40]} {target['id']}.{target['property']}={str(value)[:30]}", payload


def web_callbacks(web_url: str, tally: Tally) -> None:
    for name, payload in callback_payloads(web_url):
        headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
        tally.note(name, *_request(web_url, "POST", "/_dash-update-component",
                                   json.dumps(payload).encode(), headers))  # fmt: skip


def run(api_url: str, web_url: str | None, api_key: str) -> Tally:
    tally = Tally()
    api_cases(api_url, api_key, tally)
    raw_requests(api_url, api_key, tally)
    if web_url is not None:
        web_callbacks(web_url, tally)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--web-url")
    parser.add_argument("--api-key", required=True)
    arguments = parser.parse_args()
    print(
        json.dumps(run(arguments.api_url, arguments.web_url, arguments.api_key).as_dict(), indent=1)
    )


if __name__ == "__main__":
    main()
