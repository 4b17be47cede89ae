"""A real `watchnext demo` process, killed with SIGKILL in the middle of a load, then started
again on the same data: every review it acknowledged is stored and gets exactly one email.

Each run kills at another point of the load (after a different number of acknowledgements),
so that the kill lands while reviews are being recorded and emails sent. The send-claim lease
is shortened to 2 s (the queue's lease follows from it) so a job leased by the dead process
comes back within seconds instead of minutes; the logic is the one that runs with 120 s.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from watchnext.adapters.local.outbox import Outbox
from watchnext.client.loadtest import load_review
from watchnext.domain.events import event_id_for
from watchnext.domain.review import Review

RUNS = 5
CLIENTS = 4
MAX_REVIEWS = 400  # the load is bounded even if the kill never came
API_KEY = "crash-key"
REVIEW_API = re.compile(r"Review API: http://127\.0\.0\.1:(\d+)")
ITEMS = [f"A{i}" for i in range(15)]


@dataclass
class Demo:
    data_dir: Path
    artifact: Path
    dataset: Path
    process: subprocess.Popen[bytes] | None = None
    api_port: int = 0

    def start(self) -> None:
        log_path = self.data_dir / "demo.log"
        offset = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:  # the child keeps its copy
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "watchnext", "demo", "--data-dir", str(self.data_dir),
                    "--artifact", str(self.artifact), "--dataset", str(self.dataset),
                    "--api-port", "0", "--web-port", "0", "--smtp-port", "0",
                    "--api-key", API_KEY, "--send-claim-lease-seconds", "2",
                ],
                stdout=log, stderr=log, env={**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"},
            )  # fmt: skip
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and self.process.poll() is None:
            printed = REVIEW_API.search(log_path.read_bytes()[offset:].decode(errors="replace"))
            if printed:  # printed once it listens, on the port the system picked
                self.api_port = int(printed.group(1))
                with suppress(OSError):
                    ready = urllib.request.Request(
                        f"http://127.0.0.1:{self.api_port}/openapi.json",
                        headers={"x-api-key": API_KEY},
                    )
                    urllib.request.urlopen(ready, timeout=1)
                    return
            time.sleep(0.2)
        self.stop()  # never leave a demo running behind a failed test
        output = log_path.read_text()[-2000:]
        raise AssertionError(f"the demo did not answer within 45 s:\n{output}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process is not None:
            self.process.wait(timeout=10)  # reaped: no zombie outlives the test


@dataclass
class Load:
    """CLIENTS threads posting distinct reviews until the server dies or MAX_REVIEWS."""

    api_port: int
    acknowledged: list[str] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        return threads

    def _client(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=10)
        with closing(connection):
            while (n := next(self._numbers)) < MAX_REVIEWS:
                body = load_review(n, ITEMS)
                try:
                    connection.request(
                        "POST", "/reviews", body=json.dumps(body),
                        headers={"x-api-key": API_KEY, "Content-Type": "application/json"},
                    )  # fmt: skip
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    return  # killed: whatever was in flight was never acknowledged
                with self._lock:
                    if response.status == 200:
                        self.acknowledged.append(event_id_for(Review.model_validate(body)))
                    else:
                        self.refused[response.status] += 1


def stored_event_ids(data_dir: Path) -> set[str]:
    database = data_dir / "local" / "watchnext.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return {str(row[0]) for row in db.execute("SELECT event_id FROM events")}


@pytest.fixture(scope="module")
def model(trained: Path) -> tuple[Path, Path]:
    return trained, trained.parent / "data"


@pytest.mark.parametrize("run", range(RUNS))
def test_a_killed_demo_loses_no_acknowledged_review_and_sends_each_email_once(
    run: int, tmp_path: Path, model: tuple[Path, Path]
) -> None:
    artifact, dataset = model
    demo = Demo(tmp_path, artifact, dataset)
    try:
        demo.start()
        load = Load(demo.api_port)
        threads = load.run()
        kill_after = 20 + 25 * run  # a different moment of the load each run
        deadline = time.monotonic() + 60
        while (
            len(load.acknowledged) < kill_after
            and any(thread.is_alive() for thread in threads)
            and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        demo.kill()
        for thread in threads:
            thread.join(timeout=15)
        acknowledged = set(load.acknowledged)

        demo.start()  # the same data directory: the restart recovers
        outbox = Outbox(tmp_path / "local" / "outbox")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            emailed = Counter(message.job_id for message in outbox.page())
            if acknowledged <= set(emailed):
                break
            time.sleep(0.25)
    finally:
        demo.stop()

    stored = stored_event_ids(tmp_path) & acknowledged
    files = Counter(message.job_id for message in outbox.page())
    resends = sum(message.resends for message in outbox.page())
    print(
        f"crash run {run}: acknowledged {len(acknowledged)}, stored {len(stored)}, "
        f"emailed {len(acknowledged & set(files))}, duplicates {sum(files.values()) - len(files)}, "
        f"resends absorbed by Message-ID {resends}, refused {dict(load.refused)}"
    )
    assert len(acknowledged) >= kill_after, "the kill came before the load was under way"
    assert load.refused == Counter()
    assert stored == acknowledged
    assert acknowledged <= set(files), f"{len(acknowledged - set(files))} never emailed"
    assert all(count == 1 for count in files.values())
    assert len(list(outbox.folder.glob("*.eml"))) == len(files)  # one file per message
