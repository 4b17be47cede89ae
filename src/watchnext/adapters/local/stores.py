"""SQLite implementations of the event recorder, the email queue and the mailer's state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watchnext.adapters.local.sqlite import Database
from watchnext.domain.email import DEFAULT_MAX_RECEIVE_COUNT, EmailJob, Recipient, address_key
from watchnext.domain.engagement import Click, EngagementReport, SentEmail, engagement_report
from watchnext.domain.events import InteractionEvent
from watchnext.domain.review import EventSource
from watchnext.recommender.retention import Compaction, append_interactions
from watchnext.service.ports import EventRecorder

SELECT_EVENTS = (
    "SELECT event_id, user_id, item_id, event_type, event_value, timestamp, properties, "
    "recommendation_id, impression, source FROM events "
)
IN_ORDER = " ORDER BY recorded_at, event_id"


@dataclass(frozen=True)
class RecordAndLearn:
    """`watchnext.service.ports.EventRecorder`: the event kept in the store first, then taken
    into the live recommender, so the very next recommendation reflects it."""

    store: EventRecorder
    live: EventRecorder

    def record(self, event: InteractionEvent) -> None:
        self.store.record(event)
        self.live.record(event)


class SqliteEventStore:
    """Every accepted interaction, kept.

    Old events move into the training data (`compact`), and leave the store once a model
    trained on them is served (`forget_trained`); see `watchnext.recommender.retention`.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, event: InteractionEvent) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT OR IGNORE INTO events (event_id, user_id, item_id, event_type, "
                "event_value, timestamp, properties, recorded_at, recommendation_id, impression, "
                "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.event_id,
                    event.user_id,
                    event.item_id,
                    event.event_type,
                    event.event_value,
                    event.timestamp.isoformat(),
                    json.dumps(dict(event.properties)),
                    time.time(),
                    event.recommendation_id,
                    json.dumps(list(event.impression)),
                    event.source,
                ),
            )

    def events(self) -> list[InteractionEvent]:
        return self._events(SELECT_EVENTS + IN_ORDER)

    def events_of(self, user_id: str) -> list[InteractionEvent]:
        """The user's stored events, oldest first (a recommender rebuilds a row from them)."""
        return self._events(SELECT_EVENTS + "WHERE user_id = ?" + IN_ORDER, (user_id,))

    def _events(self, sql: str, parameters: tuple[object, ...] = ()) -> list[InteractionEvent]:
        return [
            InteractionEvent(
                event_id=str(event_id),
                user_id=str(user),
                item_id=str(item),
                event_type=str(kind),
                event_value=float(str(value)),
                timestamp=datetime.fromisoformat(str(at)),
                properties=json.loads(str(props)),
                recommendation_id=None if rec is None else str(rec),
                impression=tuple(json.loads(str(shown or "[]"))),
                source=None if source is None else EventSource(str(source)),
            )
            for event_id, user, item, kind, value, at, props, rec, shown, source in self._db.query(
                sql, parameters
            )
        ]

    def count(self) -> int:
        return int(str(self._db.query("SELECT count(*) FROM events")[0][0]))

    def compact(self, dataset: Path, recorded_before: float) -> Compaction:
        """Append the events recorded before ``recorded_before`` (epoch seconds) to the
        dataset's training data; they stay here until `forget_trained`."""
        old = self._events(
            SELECT_EVENTS + "WHERE compaction IS NULL AND recorded_at < ?" + IN_ORDER,
            (recorded_before,),
        )
        if not old:
            return Compaction(events=0, appended=0, checksum="")
        appended, checksum = append_interactions(dataset, old)
        with self._db.transaction() as tx:
            seq = tx.execute(
                "INSERT INTO compactions (checksum, at) VALUES (?, ?)", (checksum, time.time())
            ).lastrowid
            tx.executemany(
                "UPDATE events SET compaction = ? WHERE event_id = ?",
                [(seq, event.event_id) for event in old],
            )
        return Compaction(events=len(old), appended=appended, checksum=checksum)

    def forget_trained(self, data_checksum: str) -> int:
        """Delete the compacted events that a model trained on ``data_checksum`` holds."""
        with self._db.transaction() as tx:
            seq = tx.execute(
                "SELECT max(seq) FROM compactions WHERE checksum = ?", (data_checksum,)
            ).fetchone()[0]
            if seq is None:
                return 0
            return int(tx.execute("DELETE FROM events WHERE compaction <= ?", (seq,)).rowcount)


@dataclass(frozen=True)
class LeasedJob:
    job: EmailJob
    attempts: int


@dataclass(frozen=True)
class DeadLetter:
    job_id: str
    user_id: str
    email_address: str
    attempts: int
    last_error: str | None
    dead_at: float


class SqliteEmailQueue:
    """A durable job queue: leased jobs come back if the worker dies before acknowledging.

    As SQS with a redrive policy: each lease counts as a receive, and a job due again after
    ``max_receive_count`` receives moves to the dead-letter table instead of being leased
    (`dead_letters`, `redrive`)."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float] = time.time,
        max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT,
    ) -> None:
        self._db = db
        self._clock = clock
        self.max_receive_count = max_receive_count

    def batch(self) -> AbstractContextManager[object]:
        """Acks and retries in the block commit together."""
        return self._db.transaction()

    def enqueue(self, job: EmailJob) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT OR IGNORE INTO email_jobs (job_id, body, available_at) VALUES (?, ?, ?)",
                (job.job_id, job.model_dump_json(), self._clock()),
            )

    def lease(self, limit: int = 10, lease_seconds: float = 60.0) -> list[LeasedJob]:
        now = self._clock()
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO email_dead_letters "
                "SELECT job_id, body, attempts, last_error, ? FROM email_jobs "
                "WHERE available_at <= ? AND attempts >= ?",
                (now, now, self.max_receive_count),
            )
            tx.execute(
                "DELETE FROM email_jobs WHERE available_at <= ? AND attempts >= ?",
                (now, self.max_receive_count),
            )
            rows = tx.execute(
                "SELECT job_id, body, attempts FROM email_jobs WHERE available_at <= ? "
                "ORDER BY available_at LIMIT ?",
                (now, limit),
            ).fetchall()
            for job_id, _, _ in rows:
                tx.execute(
                    "UPDATE email_jobs SET available_at = ?, attempts = attempts + 1 "
                    "WHERE job_id = ?",
                    (now + lease_seconds, job_id),
                )
        return [
            LeasedJob(EmailJob.model_validate_json(body), attempts + 1)
            for _, body, attempts in rows
        ]

    def ack(self, job_id: str) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM email_jobs WHERE job_id = ?", (job_id,))

    def retry(self, job_id: str, delay_seconds: float, error: str) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE email_jobs SET available_at = ?, last_error = ? WHERE job_id = ?",
                (self._clock() + delay_seconds, error[:500], job_id),
            )

    def pending(self) -> int:
        return int(str(self._db.query("SELECT count(*) FROM email_jobs")[0][0]))

    def dead_letters(self) -> list[DeadLetter]:
        rows = self._db.query(
            "SELECT job_id, body, attempts, last_error, dead_at FROM email_dead_letters "
            "ORDER BY dead_at"
        )
        letters = []
        for job_id, body, attempts, error, dead_at in rows:
            job = json.loads(str(body))
            letters.append(
                DeadLetter(
                    str(job_id),
                    str(job["user_id"]),
                    str(job["email_address"]),
                    int(str(attempts)),
                    None if error is None else str(error),
                    float(str(dead_at)),
                )
            )
        return letters

    def redrive(self, job_ids: Sequence[str] = ()) -> int:
        """Send dead letters (these, or all) back to the queue with their receives reset."""
        ids = json.dumps(list(job_ids))  # none: every dead letter
        with self._db.transaction() as tx:
            moved = tx.execute(
                "INSERT OR IGNORE INTO email_jobs (job_id, body, available_at, attempts) "
                "SELECT job_id, body, ?, 0 FROM email_dead_letters "
                "WHERE ? = '[]' OR job_id IN (SELECT value FROM json_each(?))",
                (self._clock(), ids, ids),
            ).rowcount
            tx.execute(
                "DELETE FROM email_dead_letters "
                "WHERE ? = '[]' OR job_id IN (SELECT value FROM json_each(?))",
                (ids, ids),
            )
        return int(moved)


class SqliteEmailState:
    """`watchnext.service.ports.EmailState` in the same database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def batch(self) -> AbstractContextManager[object]:
        return self._db.transaction()

    def is_opted_out(self, address: str, user_id: str) -> bool:
        keys = Recipient.keys_for(address, user_id)
        return bool(self._db.query("SELECT 1 FROM email_state WHERE key IN (?, ?, ?)", keys))

    def opt_out(self, recipient: Recipient) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO email_state VALUES (?, '', ?)", (recipient.key, time.time())
            )

    def opt_in(self, recipient: Recipient) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM email_state WHERE key = ?", (recipient.key,))

    def claim(self, job_id: str, lease_seconds: float) -> bool:
        """A ``sent#`` row: value ``sending`` with ``at`` = lease end, then ``sent``."""
        key, now = f"sent#{job_id}", time.time()
        with self._db.transaction() as tx:
            row = tx.execute("SELECT value, at FROM email_state WHERE key = ?", (key,)).fetchone()
            if row is not None and not (row[0] == "sending" and float(row[1]) < now):
                return False
            tx.execute(
                "INSERT OR REPLACE INTO email_state VALUES (?, 'sending', ?)",
                (key, now + lease_seconds),
            )
        return True

    def was_sent(self, job_id: str) -> bool:
        row = self._db.query("SELECT value FROM email_state WHERE key = ?", (f"sent#{job_id}",))
        return bool(row) and row[0][0] != "sending"

    def mark_sent(self, job_id: str) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE email_state SET value = 'sent', at = ? WHERE key = ?",
                (time.time(), f"sent#{job_id}"),
            )

    def release(self, job_id: str) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM email_state WHERE key = ?", (f"sent#{job_id}",))

    def first_use(self, click_id: str, expires_at: float) -> bool:
        """A ``click#`` row per followed link, kept until the link expires (expired rows go
        here, by a range of the primary key)."""
        key, now = f"click#{click_id}", time.time()
        with self._db.transaction() as tx:
            tx.execute(
                "DELETE FROM email_state WHERE key >= 'click#' AND key < 'click$' AND at < ?",
                (now,),
            )
            inserted = tx.execute(
                "INSERT OR IGNORE INTO email_state VALUES (?, 'clicked', ?)", (key, expires_at)
            ).rowcount
        return inserted == 1

    def forget_use(self, click_id: str) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM email_state WHERE key = ?", (f"click#{click_id}",))

    def take_send_slot(self, address: str, limit: int, window_seconds: int, now: float) -> bool:
        """A ``rate#`` row per address and window: ``value`` counts, ``at`` ends the window
        (ended windows go here, by a range of the primary key)."""
        window = int(now // window_seconds)
        key = f"rate#{address_key(address)}#{window}"
        with self._db.transaction() as tx:
            tx.execute(
                "DELETE FROM email_state WHERE key >= 'rate#' AND key < 'rate$' AND at < ?",
                (now,),
            )
            row = tx.execute("SELECT value FROM email_state WHERE key = ?", (key,)).fetchone()
            sent = int(row[0]) if row else 0
            if sent >= limit:
                return False
            tx.execute(
                "INSERT OR REPLACE INTO email_state VALUES (?, ?, ?)",
                (key, str(sent + 1), (window + 1) * window_seconds),
            )
        return True

    def note_latest(self, user_id: str, job_id: str, reviewed_at: datetime) -> str:
        key, at = f"latest#{user_id}", reviewed_at.timestamp()
        with self._db.transaction() as tx:
            row = tx.execute("SELECT value, at FROM email_state WHERE key = ?", (key,)).fetchone()
            if row is None or float(row[1]) <= at:
                tx.execute("INSERT OR REPLACE INTO email_state VALUES (?, ?, ?)", (key, job_id, at))
                return job_id
            return str(row[0])


class SqliteEngagementLog:
    """`watchnext.service.ports.EngagementLog`: sent emails and followed links, for
    `watchnext report engagement` and the web app's Engagement tab."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def sent(self, job: EmailJob, at: float) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT OR IGNORE INTO sent_emails (job_id, user_id, model_id, picks, sent_at, "
                "experiment, arms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    job.job_id,
                    job.user_id,
                    job.model_id,
                    len(job.recommendations),
                    at,
                    job.experiment,
                    json.dumps(job.arms_by_position()) if job.experiment else None,
                ),
            )

    def clicked(
        self, user_id: str, job_id: str, position: int, item_id: str, at: float
    ) -> str | None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT OR IGNORE INTO clicks VALUES (?, ?, ?, ?)", (job_id, position, item_id, at)
            )
            row = tx.execute("SELECT arms FROM sent_emails WHERE job_id = ?", (job_id,)).fetchone()
        arms = json.loads(str(row[0])) if row and row[0] else []
        return arms[position - 1] if 0 < position <= len(arms) else None

    def report(self, confidence: float, since: float = 0.0) -> EngagementReport:
        """The report over the emails sent at or after ``since`` (epoch seconds)."""
        sent = [
            SentEmail(
                str(job),
                None if model is None else str(model),
                int(str(picks)),
                float(str(at)),
                None if experiment is None else str(experiment),
                tuple(json.loads(str(arms))) if arms else (),
            )
            for job, model, picks, at, experiment, arms in self._db.query(
                "SELECT job_id, model_id, picks, sent_at, experiment, arms FROM sent_emails "
                "WHERE sent_at >= ?",
                (since,),
            )
        ]
        clicks = [
            Click(str(job), int(str(position)), float(str(at)))
            for job, position, at in self._db.query(
                "SELECT job_id, position, clicked_at FROM clicks"
            )
        ]
        return engagement_report(sent, clicks, confidence)
