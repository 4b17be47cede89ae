"""One contract for every `EngagementLog` that keeps experiment emails: SQLite (local) and
DynamoDB (moto, the table built from template.yaml; the mailer writes as its role, the link
is followed as the review function's). A followed link answers the arm that drafted its
pick, and keeps nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.deployment import deployed
from tests.support.fakes import email_job
from watchnext.adapters.aws.experiment_emails import DynamoDbExperimentEmails
from watchnext.adapters.local.sqlite import Database
from watchnext.adapters.local.stores import SqliteEngagementLog
from watchnext.domain.email import EmailJob


@contextmanager
def logs(kind: str, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """(the mailer's log, the click path's log) over one store."""
    if kind == "sqlite":
        db = Database(tmp_path / "state.db")
        yield SqliteEngagementLog(db), SqliteEngagementLog(db)
        db.close()
        return
    with deployed() as account:
        table = account.stack.ref("ExperimentEmailsTable")
        yield (
            DynamoDbExperimentEmails(account.client("dynamodb", "MailerFunction"), table),
            DynamoDbExperimentEmails(account.client("dynamodb", "ReviewFunction"), table),
        )


def interleaved(job_id: str) -> EmailJob:
    job = email_job(job_id)
    first, second = (pick.item_id for pick in job.recommendations)
    return job.model_copy(update={"experiment": "e", "arms": {first: "a", second: "b"}})


@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
def test_a_followed_link_answers_the_arm_that_drafted_its_pick(kind: str, tmp_path: Path) -> None:
    with logs(kind, tmp_path) as (mailer, clicks):
        job, plain = interleaved("job-1"), email_job("job-2")
        mailer.sent(job, at=100.0)
        mailer.sent(plain, at=100.0)

        assert clicks.clicked(job.user_id, "job-1", 2, "item-1", at=130.0) == "b"
        assert clicks.clicked(job.user_id, "job-1", 2, "item-1", at=131.0) == "b"  # again
        assert clicks.clicked(job.user_id, "job-1", 1, "item-0", at=132.0) == "a"
        assert clicks.clicked(plain.user_id, "job-2", 1, "item-0", at=133.0) is None
        assert clicks.clicked(job.user_id, "job-9", 1, "item-0", at=134.0) is None  # unknown
