"""The local adapter set, the embedded default: the trained local model (updated on every
event), SQLite (events, email queue, mailer state) and SMTP to a local sink."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from watchnext.adapters.http.review_api import Idempotency, ReviewApi
from watchnext.adapters.local.catalog import InMemoryCatalog
from watchnext.adapters.local.experiments import ExperimentRouter, SqliteExperiments
from watchnext.adapters.local.idempotency import SqliteIdempotencyStore
from watchnext.adapters.local.in_flight import InFlight
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
from watchnext.domain.sentiment import Sentiment
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import load_template, templates_root
from watchnext.recommender import artifact as artifacts
from watchnext.recommender.errors import RecommenderError
from watchnext.recommender.models import LocalRecommender
from watchnext.service.clicks import Clicks
from watchnext.service.delivery import Delivery
from watchnext.service.review import ReviewService
from watchnext.service.subscriptions import Subscriptions
from watchnext.settings import LOCAL_SENDER, Settings, SettingsError, env_name


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

    settings: Settings
    state: StateFolder
    api: ReviewApi
    events: SqliteEventStore
    queue: SqliteEmailQueue
    worker: MailWorker
    api_key: str
    db: Database
    engagement: SqliteEngagementLog
    sentiment: Sentiment
    in_flight: InFlight
    model: LocalRecommender
    """The model served outside an experiment (``settings.artifact``, until one is promoted)."""
    experiments: SqliteExperiments


def local_components(settings: Settings) -> LocalComponents:
    """Load the model, replay every stored event into it, and wire the adapters."""
    if not (settings.artifact / "meta.json").exists():
        raise RecommenderError(
            f"{settings.artifact}: no trained model. `make demo` prepares one, or run: "
            "watchnext data fetch movielens-100k && watchnext prepare data/movielens-100k "
            "--source movielens --out data/ml100k && watchnext train --data data/ml100k"
        )
    folder = StateFolder.of(settings.data_dir)
    db = Database(folder.database)
    store = SqliteEventStore(db)
    store.forget_trained(artifacts.read_meta(settings.artifact)["data"]["checksum"])

    def load(folder: Path) -> LocalRecommender:
        loaded = artifacts.load(folder, click_weight=settings.click_weight, history=store.events_of)
        _check_sentiment(settings, loaded)
        for (forgotten,) in db.query("SELECT user_id FROM forgotten_users"):
            loaded.forget(str(forgotten))  # erased (`watchnext forget`) until the next training
        return loaded

    # Nothing is replayed: a viewer's live row is rebuilt from the store (``history``) the
    # first time they are served, so a restart reads no event until someone asks for it.
    model = load(settings.artifact)
    experiments = SqliteExperiments(db)
    router = ExperimentRouter(model, settings.artifact, experiments, load)
    recorder = RecordAndLearn(store, router)
    queue = SqliteEmailQueue(db, max_receive_count=settings.email_job_max_receive_count)
    state = SqliteEmailState(db)
    engagement = SqliteEngagementLog(db)
    unsubscribe_key = _persistent_secret(folder.unsubscribe_key).encode()

    def signing_key() -> bytes:
        return unsubscribe_key

    api_key = settings.api_key or _persistent_secret(folder.api_key, 24)
    in_flight = InFlight()  # the gateway counts; the mail worker defers to them
    service = ReviewService(
        recorder=recorder,
        recommender=router,
        catalog=InMemoryCatalog(model.titles),
        email_queue=queue,
        num_results=settings.num_results,
        opt_outs=state,
        sentiment=model.rule.sentiment,
    )
    subscriptions = Subscriptions(state, signing_key=signing_key)
    mailer = SmtpMailer(
        HandlebarsRenderer(load_template(templates_root(settings.templates_dir))),
        sender=settings.email_sender or LOCAL_SENDER,
        host=settings.smtp_host,
        port=settings.smtp_port,
        connections=_smtp_connections(settings),
    )
    delivery = Delivery(
        mailer=mailer,
        state=state,
        unsubscribe_base_url=settings.local_links_base_url,
        signing_key=signing_key,
        cooldown_seconds=settings.email_cooldown_seconds,
        address_limit=settings.email_address_limit,
        address_window_seconds=settings.email_address_window_seconds,
        claim_lease_seconds=settings.send_claim_lease_seconds,
        engagement=engagement,
    )
    clicks = Clicks(
        recorder=recorder,
        ledger=state,
        signing_key=signing_key,
        title_url_template=settings.local_title_url,
        engagement=engagement,
    )
    return LocalComponents(
        settings=settings,
        state=folder,
        api=ReviewApi(
            service,
            subscriptions=subscriptions,
            clicks=clicks,
            idempotency=Idempotency(  # as DynamoDB does on AWS
                SqliteIdempotencyStore(db), expiry_seconds=settings.idempotency_expiry_seconds
            ),
            cors_allowed_origins=settings.cors_allowed_origins,
            retry_after_seconds=settings.retry_after_seconds,
        ),
        events=store,
        queue=queue,
        worker=MailWorker(queue, delivery, busy=in_flight.busy),
        in_flight=in_flight,
        api_key=api_key,
        db=db,
        engagement=engagement,
        sentiment=model.rule.sentiment,
        model=model,
        experiments=experiments,
    )


def _smtp_connections(settings: Settings) -> int:
    """One kept connection unless set: with the sink in this process, more drained 1,000
    emails barely faster here (156 against 140 a second, 2 cores) and took CPU from the API
    under load (104 against 139 requests a second)."""
    if "email_send_concurrency" in settings.model_fields_set:
        return settings.email_send_concurrency
    return 1


def _check_sentiment(settings: Settings, model: LocalRecommender) -> None:
    """The local model learned what a like is when it was trained; a threshold set for
    serving must agree with it, or the picks and the email would read a rating two ways."""
    trained = model.rule.sentiment
    for field, value in (
        ("like_threshold", trained.like_at),
        ("dislike_threshold", trained.dislike_below),
    ):
        wanted = getattr(settings, field)
        if field in settings.model_fields_set and wanted != value:
            raise SettingsError(
                f"{env_name(field)}={wanted:g}, but the model at {settings.artifact} was "
                f"trained with {value:g}: unset it, or retrain with the threshold you want "
                "(watchnext train --param like_at=N --param dislike_below=N)"
            )
