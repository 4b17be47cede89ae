"""Powertools idempotency records in the local stack's SQLite file: `Idempotency-Key` is
honoured locally exactly as the deployed API honours it with DynamoDB, by the same
Powertools code, so a key reused for another review is refused on both paths."""

from __future__ import annotations

import time

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import (
    STATUS_CONSTANTS,
    DataRecord,
)

from watchnext.adapters.local.sqlite import Database

SELECT = (
    "SELECT idempotency_key, status, expiry, in_progress_expiry, response_data, payload_hash "
    "FROM idempotency WHERE idempotency_key = ?"
)
WRITE = (
    "INSERT OR REPLACE INTO idempotency (idempotency_key, status, expiry, in_progress_expiry, "
    "response_data, payload_hash) VALUES (?, ?, ?, ?, ?, ?)"
)


class SqliteIdempotencyStore(BasePersistenceLayer):
    """The DynamoDB layer's conditional put as one SQLite transaction: a record is written
    only if none exists, the old one expired, or an in-progress one outlived its lease."""

    def __init__(self, db: Database) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._db = db

    def _get_record(self, idempotency_key: str) -> DataRecord:
        rows = self._db.query(SELECT, (idempotency_key,))
        if not rows:
            raise IdempotencyItemNotFoundError
        return _record(rows[0])

    def _put_record(self, data_record: DataRecord) -> None:
        now = time.time()
        with self._db.transaction() as tx:
            row = tx.execute(SELECT, (data_record.idempotency_key,)).fetchone()
            if row is not None and not _replaceable(_record(row), now):
                old = _record(row)
                self._validate_payload(data_payload=data_record, stored_data_record=old)
                raise IdempotencyItemAlreadyExistsError(old_data_record=old)
            tx.execute(
                WRITE,
                (
                    data_record.idempotency_key,
                    data_record.status,
                    data_record.expiry_timestamp,
                    data_record.in_progress_expiry_timestamp,
                    data_record.response_data,
                    data_record.payload_hash if self.payload_validation_enabled else "",
                ),
            )

    def _update_record(self, data_record: DataRecord) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE idempotency SET response_data = ?, expiry = ?, status = ?, "
                "payload_hash = ? WHERE idempotency_key = ?",
                (
                    data_record.response_data,
                    data_record.expiry_timestamp,
                    data_record.status,
                    data_record.payload_hash if self.payload_validation_enabled else "",
                    data_record.idempotency_key,
                ),
            )

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency WHERE idempotency_key = ?", (data_record.idempotency_key,)
            )


def _record(row: tuple[object, ...]) -> DataRecord:
    key, status, expiry, in_progress, data, payload = row
    return DataRecord(
        idempotency_key=str(key),
        status=str(status),
        expiry_timestamp=None if expiry is None else int(str(expiry)),
        in_progress_expiry_timestamp=None if in_progress is None else int(str(in_progress)),
        response_data=str(data or ""),
        payload_hash=str(payload or ""),
    )


def _replaceable(old: DataRecord, now: float) -> bool:
    """As DynamoDB's condition: expired, or in progress past its lease (in milliseconds)."""
    if old.expiry_timestamp is not None and old.expiry_timestamp < now:
        return True
    lease = old.in_progress_expiry_timestamp
    return bool(
        old.status == STATUS_CONSTANTS["INPROGRESS"] and lease is not None and lease < now * 1000
    )
