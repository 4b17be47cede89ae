"""The embedded default: the whole product on one machine, no AWS account.

Wires the same review API and mailer use case to local adapters: the trained local model
(updated on every event), SQLite (events, email queue, mailer state), SMTP to a local sink.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchnext.adapters.local.catalog import InMemoryCatalog
from watchnext.adapters.local.mail_worker import MailWorker
from watchnext.adapters.local.smtp import SmtpMailer, SmtpSink
from watchnext.adapters.local.sqlite import Database, private_folder
from watchnext.adapters.local.stores import SqliteEmailQueue, SqliteEmailState, SqliteEventStore
from watchnext.email.delivery import SEND_CLAIM_LEASE_SECONDS, Delivery
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.subscriptions import Subscriptions
from watchnext.email.templates import load_template
from watchnext.entrypoints.api import ReviewApi
from watchnext.entrypoints.gateway import LocalGateway
from watchnext.recommender import artifact as artifacts
from watchnext.recommender.errors import RecommenderError
from watchnext.service import ReviewService


@dataclass
class LocalConfig:
    data_dir: Path = Path("data")
    artifact: Path = Path("artifacts/als")
    host: str = "127.0.0.1"
    api_port: int = 3000
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    run_sink: bool = True
    sender: str = "WatchNext <picks@watchnext.local>"
    api_key: str | None = None
    email_cooldown_seconds: int = 0
    num_results: int = 10
    dataset: Path = Path("data/ml100k")
    web_port: int | None = 8080
    web_hosts: tuple[str, ...] = ()
    """Host names the web app answers to besides the local ones."""
    send_claim_lease_seconds: float = SEND_CLAIM_LEASE_SECONDS
    """After a crash mid-send, how long until the job is sent again (the queue's lease is
    derived from it)."""

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "local"

    @property
    def outbox_dir(self) -> Path:
        return self.state_dir / "outbox"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"


def _persistent_secret(path: Path, nbytes: int = 32) -> str:
    """A random value created once and kept (the API key, the unsubscribe signing key)."""
    if path.exists():
        return path.read_text().strip()
    private_folder(path.parent)
    value = secrets.token_urlsafe(nbytes)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(value + "\n")
    return value


@dataclass
class LocalStack:
    config: LocalConfig
    api: ReviewApi
    events: SqliteEventStore
    queue: SqliteEmailQueue
    worker: MailWorker
    catalog: InMemoryCatalog
    api_key: str
    db: Database
    sink: SmtpSink | None = None
    _servers: list[Any] = field(default_factory=list, repr=False)

    def start(self) -> None:
        if self.sink is not None:
            self.sink.start()
        self.worker.start()
        self._serve("api", LocalGateway(self.api, self.api_key), self.config.api_port)
        if self.config.web_port is not None:
            from watchnext.webapp.app import (
                LOCAL_HOSTS,
                create_app,
                load_catalog,
                load_past_ratings,
            )
            from watchnext.webapp.client import ReviewApiClient

            web = create_app(
                ReviewApiClient(self.config.api_url, self.api_key),
                load_catalog(self.config.dataset),
                self.config.outbox_dir,
                allowed_hosts=LOCAL_HOSTS | {self.config.host, *self.config.web_hosts},
                past_ratings=load_past_ratings(self.config.dataset),
            )
            self._serve("web", web.server, self.config.web_port)

    def _serve(self, name: str, app: Any, port: int) -> None:
        """A waitress server (production WSGI, 8 threads) on its own thread."""
        from waitress import create_server

        server = create_server(app, host=self.config.host, port=port, threads=8, ident="watchnext")
        self._servers.append(server)
        threading.Thread(target=server.run, name=name, daemon=True).start()

    def stop(self) -> None:
        for server in self._servers:
            server.close()
        self.worker.stop()
        if self.sink is not None:
            self.sink.stop()
        self.db.close()


def build_local_stack(config: LocalConfig) -> LocalStack:
    """Load the model, replay every stored event into it, and wire the adapters."""
    if not (config.artifact / "meta.json").exists():
        raise RecommenderError(
            f"{config.artifact}: no trained model. `make demo` prepares one, or run: "
            "watchnext data fetch movielens-100k && watchnext prepare data/movielens-100k "
            "--source movielens --out data/ml100k && watchnext train --data data/ml100k"
        )
    model = artifacts.load(config.artifact)
    db = Database(config.state_dir / "watchnext.db")
    events = SqliteEventStore(db, forward_to=model)
    events.forget_trained(artifacts.read_meta(config.artifact)["data"]["checksum"])
    events.replay_into(model)  # a restart keeps every accepted review in the model too
    model.history = events.events_of  # rebuilds the live rows it evicts
    catalog = InMemoryCatalog(model.titles)
    queue = SqliteEmailQueue(db)
    state = SqliteEmailState(db)
    signing_key = _persistent_secret(config.state_dir / "unsubscribe.key").encode()
    api_key = config.api_key or _persistent_secret(config.state_dir / "api-key", 24)
    service = ReviewService(
        recorder=events, recommender=model, catalog=catalog, email_queue=queue,
        num_results=config.num_results, opt_outs=state,
    )  # fmt: skip
    subscriptions = Subscriptions(state, signing_key=lambda: signing_key)
    mailer = SmtpMailer(
        HandlebarsRenderer(load_template()), sender=config.sender,
        host=config.smtp_host, port=config.smtp_port,
    )  # fmt: skip
    delivery = Delivery(
        mailer=mailer, state=state, unsubscribe_base_url=config.api_url,
        signing_key=lambda: signing_key, cooldown_seconds=config.email_cooldown_seconds,
        claim_lease_seconds=config.send_claim_lease_seconds,
    )  # fmt: skip
    sink = (
        SmtpSink(config.outbox_dir, config.smtp_host, config.smtp_port) if config.run_sink else None
    )
    return LocalStack(
        config=config, api=ReviewApi(service, subscriptions=subscriptions), events=events,
        queue=queue, worker=MailWorker(queue, delivery), catalog=catalog, api_key=api_key,
        db=db, sink=sink,
    )  # fmt: skip
