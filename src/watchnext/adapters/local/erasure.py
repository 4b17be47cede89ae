"""Right to erasure on the local stack (`watchnext forget`): a viewer's events, email state,
clicks, queued and dead jobs, idempotency records, their sent emails in the sink's outbox and
their rows in the training data; the model stops serving their training row at its next
start. An address's queued jobs, send counts and emails go too; if it had opted out, a
digest of it stays opted out (`suppression_key`), the address itself does not."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from watchnext.adapters.local.outbox import Outbox
from watchnext.adapters.local.sqlite import Database
from watchnext.domain.email import Recipient, address_key, suppression_key
from watchnext.recommender.retention import drop_user_interactions

JOB_TABLES = ("email_jobs", "email_dead_letters")


class LocalErasure:
    def __init__(self, db: Database, outbox_dir: Path, dataset: Path | None) -> None:
        self._db = db
        self._outbox_dir = outbox_dir
        self._dataset = dataset

    def forget_user(self, user_id: str) -> Counter[str]:
        erased: Counter[str] = Counter()
        with self._db.transaction() as tx:
            jobs = frozenset(
                str(row[0])
                for table in ("email_jobs", "email_dead_letters", "sent_emails")
                for row in tx.execute(*_jobs_of_user(table, user_id)).fetchall()
            )
            erased["events"] = tx.execute(
                "DELETE FROM events WHERE user_id = ?", (user_id,)
            ).rowcount
            for table in JOB_TABLES:
                erased["queued jobs"] += tx.execute(
                    f"DELETE FROM {table} WHERE json_extract(body, '$.user_id') = ?",  # noqa: S608 - a constant
                    (user_id,),
                ).rowcount
            erased["clicks"] = tx.execute(
                "DELETE FROM clicks WHERE job_id IN "
                "(SELECT job_id FROM sent_emails WHERE user_id = ?)",
                (user_id,),
            ).rowcount
            erased["sent emails"] = tx.execute(
                "DELETE FROM sent_emails WHERE user_id = ?", (user_id,)
            ).rowcount
            erased["email state"] = tx.execute(
                "DELETE FROM email_state WHERE key IN (?, ?)",
                (f"latest#{user_id}", Recipient(legacy_user_id=user_id).key),
            ).rowcount
            erased["idempotency records"] = tx.execute(
                "DELETE FROM idempotency WHERE json_valid(response_data) "
                "AND json_extract(response_data, '$.user_id') = ?",
                (user_id,),
            ).rowcount
            tx.execute(
                "INSERT OR REPLACE INTO forgotten_users VALUES (?, ?)", (user_id, time.time())
            )
        erased["outbox emails"] = Outbox(self._outbox_dir).erase(job_ids=jobs)
        erased["training rows"] = self._drop_training_rows(user_id)
        return erased

    def forget_address(self, address: str) -> Counter[str]:
        erased: Counter[str] = Counter()
        key = address_key(address)
        with self._db.transaction() as tx:
            for table in JOB_TABLES:
                erased["queued jobs"] += tx.execute(
                    f"DELETE FROM {table} "  # noqa: S608 - a constant
                    "WHERE lower(json_extract(body, '$.email_address')) = ?",
                    (key,),
                ).rowcount
            opted_out = tx.execute(
                "DELETE FROM email_state WHERE key = ?", (Recipient(address=address).key,)
            ).rowcount
            if opted_out:
                tx.execute(
                    "INSERT OR REPLACE INTO email_state VALUES (?, '', ?)",
                    (suppression_key(address), time.time()),
                )
            erased["opt-outs kept as a digest"] = opted_out
            erased["send counts"] = tx.execute(
                "DELETE FROM email_state WHERE key >= ? AND key < ?",
                (f"rate#{key}#", f"rate#{key}$"),
            ).rowcount
        erased["outbox emails"] = Outbox(self._outbox_dir).erase(address=key)
        return erased

    def _drop_training_rows(self, user_id: str) -> int:
        """The next `watchnext train` then forgets them in the model too."""
        return 0 if self._dataset is None else drop_user_interactions(self._dataset, user_id)


def _jobs_of_user(table: str, user_id: str) -> tuple[str, tuple[str]]:
    if table == "sent_emails":
        return "SELECT job_id FROM sent_emails WHERE user_id = ?", (user_id,)
    return (
        f"SELECT job_id FROM {table} WHERE json_extract(body, '$.user_id') = ?",  # noqa: S608
        (user_id,),
    )
