"""The local adapter set, the embedded default: the trained local model (updated on every
event), SQLite (events, email queue, mailer state) and SMTP to a local sink."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from watchnext.adapters.http.review_api import Idempotency, ReviewApi
from watchnext.adapters.local.catalog import InMemoryCatalog
from watchnext.adapters.local.idempotency import SqliteIdempotencyStore
from watchnext.adapters.local.mail_worker import MailWorker
from watchnext.adapters.local.smtp import SmtpMailer
from watchnext.adapters.local.sqlite import Database, private_folder
from watchnext.adapters.local.state_folder import StateFolder
from watchnext.adapters.local.stores import (
    RecordAndLearn,
    SqliteEmailQueue,
    SqliteEmailState,
    SqliteEngagementLog,
    SqliteEventStore,
)
from watchnext.domain.email import (
    DEFAULT_ADDRESS_LIMIT,
    DEFAULT_ADDRESS_WINDOW_SECONDS,
    DEFAULT_MAX_RECEIVE_COUNT,
)
from watchnext.domain.events import DEFAULT_CLICK_WEIGHT
from watchnext.domain.sentiment import Sentiment
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import load_template, templates_root
from watchnext.recommender import artifact as artifacts
from watchnext.recommender.errors import RecommenderError
from watchnext.service.clicks import Clicks
from watchnext.service.delivery import SEND_CLAIM_LEASE_SECONDS, Delivery
from watchnext.service.review import ReviewService
from watchnext.service.subscriptions import Subscriptions
from watchnext.settings import DEFAULT_API_PORT, DEFAULT_SMTP_PORT, DEFAULT_WEB_PORT


@dataclass
class LocalConfig:
    data_dir: Path = Path("data")
    artifact: Path = Path("artifacts/als")
    host: str = "127.0.0.1"
    api_port: int = DEFAULT_API_PORT
    smtp_host: str = "127.0.0.1"
    smtp_port: int = DEFAULT_SMTP_PORT
    run_sink: bool = True
    sender: str = "WatchNext <picks@watchnext.local>"
    api_key: str | None = None
    email_cooldown_seconds: int = 0
    email_address_limit: int = DEFAULT_ADDRESS_LIMIT
    email_address_window_seconds: int = DEFAULT_ADDRESS_WINDOW_SECONDS
    email_job_max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT
    templates_dir: Path | None = None
    """The email template's folder (WATCHNEXT_TEMPLATES_DIR); unset: this checkout's."""
    num_results: int = 10
    dataset: Path = Path("data/ml100k")
    web_port: int | None = DEFAULT_WEB_PORT
    web_hosts: tuple[str, ...] = ()
    """Host names the web app answers to besides the local ones."""
    send_claim_lease_seconds: float = SEND_CLAIM_LEASE_SECONDS
    """After a crash mid-send, how long until the job is sent again (the queue's lease is
    derived from it)."""
    title_url_template: str | None = None
    """Where a followed pick link leads, with ``{item_id}``; the web app's title page by
    default (without a web app, a short page)."""
    click_weight: float = DEFAULT_CLICK_WEIGHT

    @property
    def state_dir(self) -> Path:
        return self.state.root

    @property
    def state(self) -> StateFolder:
        return StateFolder.of(self.data_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.state.outbox

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def title_url(self) -> str | None:
        if self.title_url_template or self.web_port is None:
            return self.title_url_template
        return f"{self.web_url}/titles/{{item_id}}"


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
class LocalComponents:
    """The local adapters, wired and not yet started (`entrypoints.local_stack` serves them)."""

    config: LocalConfig
    api: ReviewApi
    events: SqliteEventStore
    queue: SqliteEmailQueue
    worker: MailWorker
    api_key: str
    db: Database
    engagement: SqliteEngagementLog
    sentiment: Sentiment


def local_components(config: LocalConfig) -> LocalComponents:
    """Load the model, replay every stored event into it, and wire the adapters."""
    if not (config.artifact / "meta.json").exists():
        raise RecommenderError(
            f"{config.artifact}: no trained model. `make demo` prepares one, or run: "
            "watchnext data fetch movielens-100k && watchnext prepare data/movielens-100k "
            "--source movielens --out data/ml100k && watchnext train --data data/ml100k"
        )
    db = Database(config.state.database)
    store = SqliteEventStore(db)
    store.forget_trained(artifacts.read_meta(config.artifact)["data"]["checksum"])
    model = artifacts.load(
        config.artifact, click_weight=config.click_weight, history=store.events_of
    )
    for (forgotten,) in db.query("SELECT user_id FROM forgotten_users"):
        model.forget(str(forgotten))  # erased (`watchnext forget`) until the next training
    store.replay_into(model)  # a restart keeps every accepted review in the model too
    recorder = RecordAndLearn(store, model)
    queue = SqliteEmailQueue(db, max_receive_count=config.email_job_max_receive_count)
    state = SqliteEmailState(db)
    engagement = SqliteEngagementLog(db)
    unsubscribe_key = _persistent_secret(config.state.unsubscribe_key).encode()

    def signing_key() -> bytes:
        return unsubscribe_key

    api_key = config.api_key or _persistent_secret(config.state.api_key, 24)
    service = ReviewService(
        recorder=recorder,
        recommender=model,
        catalog=InMemoryCatalog(model.titles),
        email_queue=queue,
        num_results=config.num_results,
        opt_outs=state,
        sentiment=model.rule.sentiment,
    )
    subscriptions = Subscriptions(state, signing_key=signing_key)
    mailer = SmtpMailer(
        HandlebarsRenderer(load_template(templates_root(config.templates_dir))),
        sender=config.sender,
        host=config.smtp_host,
        port=config.smtp_port,
    )
    delivery = Delivery(
        mailer=mailer,
        state=state,
        unsubscribe_base_url=config.api_url,
        signing_key=signing_key,
        cooldown_seconds=config.email_cooldown_seconds,
        address_limit=config.email_address_limit,
        address_window_seconds=config.email_address_window_seconds,
        claim_lease_seconds=config.send_claim_lease_seconds,
        engagement=engagement,
    )
    clicks = Clicks(
        recorder=recorder,
        ledger=state,
        signing_key=signing_key,
        title_url_template=config.title_url,
        engagement=engagement,
    )
    return LocalComponents(
        config=config,
        api=ReviewApi(
            service,
            subscriptions=subscriptions,
            clicks=clicks,
            idempotency=Idempotency(SqliteIdempotencyStore(db)),  # as DynamoDB does on AWS
        ),
        events=store,
        queue=queue,
        worker=MailWorker(queue, delivery),
        api_key=api_key,
        db=db,
        engagement=engagement,
        sentiment=model.rule.sentiment,
    )
