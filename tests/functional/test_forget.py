"""Right to erasure (`watchnext forget`, issue 24), on the local stack and on AWS.

Locally: a viewer's events, email state, clicks, queued and dead jobs, idempotency records,
outbox emails and training rows go, and the model serves them as a newcomer after a restart.
On AWS: as the stack's ErasureRole under the IAM harness, with Personalize's
CreateDataDeletionJob through a Stubber that refuses what Personalize refuses."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY
from typer.testing import CliRunner

from tests.support import ORIGINAL_REVIEW
from tests.support.deployment import deployed
from tests.support.local import config_for, running_stack, state_of
from tests.support.stack import ACCOUNT, REGION, STAGE
from watchnext.adapters.aws.erasure import AwsErasure, ErasureTargets
from watchnext.adapters.local.outbox import outbox
from watchnext.adapters.local.sqlite import Database
from watchnext.adapters.local.stores import SqliteEmailState
from watchnext.cli import app
from watchnext.domain.email import Recipient, suppression_key

VIEWER, ADDRESS = "forget-me", "Forget.Me@example.com"


def post(url: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(
        f"{url}/reviews", json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "x-api-key": "k"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


@pytest.fixture
def dataset(tmp_path: Path, trained: Path) -> Path:
    """The training data, with two rows of the viewer (as after `watchnext events compact`)."""
    folder = tmp_path / "dataset"
    shutil.copytree(trained.parent / "data", folder)
    with (folder / "interactions.csv").open("a") as rows:
        rows.write(f"{VIEWER},A1,1600000001,RATING,5\n{VIEWER},A2,1600000002,RATING,4\n")
    return folder


def test_a_forgotten_viewer_leaves_nothing_behind_and_is_served_as_a_newcomer(
    tmp_path: Path, trained: Path, dataset: Path
) -> None:
    config = config_for(tmp_path, trained)
    with running_stack(config) as stack:
        for item in ("A1", "A2", "B3"):
            review = {**ORIGINAL_REVIEW, "user_id": VIEWER, "item_id": item,
                      "email_address": ADDRESS}  # fmt: skip
            assert post(stack.settings.api_url, review) == 200
        deadline = time.monotonic() + 20
        while len(outbox(state_of(config).outbox)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        SqliteEmailState(stack.db).opt_out(Recipient(address=ADDRESS))
        assert stack.events.events_of(VIEWER)
    assert len(outbox(state_of(config).outbox)) == 3

    forgot = CliRunner().invoke(app, [
        "forget", VIEWER, "--email", ADDRESS, "--data-dir", str(tmp_path),
        "--dataset", str(dataset),
    ])  # fmt: skip

    assert forgot.exit_code == 0, forgot.output
    assert "events: 3" in forgot.output
    assert "training rows: 2" in forgot.output
    assert VIEWER not in (dataset / "interactions.csv").read_text()
    db = Database(state_of(config).root / "watchnext.db")
    left = {
        table: db.query(f"SELECT count(*) FROM {table}")[0][0]
        for table in ("events", "email_jobs", "email_dead_letters", "sent_emails", "clicks")
    }
    state = SqliteEmailState(db)
    still_opted_out = state.is_opted_out(ADDRESS, "someone-else")
    keys = [str(row[0]) for row in db.query("SELECT key FROM email_state")]
    db.close()
    assert left == dict.fromkeys(left, 0)
    assert still_opted_out  # by the digest: an erased address is not emailed again
    assert [key for key in keys if "forget" in key.lower()] == []
    assert suppression_key(ADDRESS) in keys
    with running_stack(config) as again:
        picks = again.api.service.recommender.recommend(VIEWER, 5)
        assert {item.because for item in picks.items} == {None}  # nothing of theirs explains
        assert again.events.events_of(VIEWER) == []
    assert outbox(state_of(config).outbox) == []


def test_forget_refuses_while_a_demo_holds_the_folder(tmp_path: Path, trained: Path) -> None:
    with running_stack(config_for(tmp_path, trained)) as stack:
        answer = CliRunner().invoke(app, ["forget", VIEWER, "--data-dir", str(tmp_path)])

    assert answer.exit_code == 2
    assert stack.settings.api_url in answer.output
    assert "stop it" in answer.output


TARGETS = ErasureTargets(
    email_state_table="EmailStateTable", experiment_emails_table="ExperimentEmailsTable",
    data_bucket="databucket", data_prefix="training",
    dataset_group_arn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/watchnext-{STAGE}",
    personalize_role_arn=f"arn:aws:iam::{ACCOUNT}:role/PersonalizeRole",
    parameter_path=f"/watchnext/{STAGE}",
)  # fmt: skip


def test_on_aws_the_viewer_is_erased_as_the_erasure_role_allows() -> None:
    with deployed() as account:
        admin = boto3.client("dynamodb", region_name=REGION)
        for key in (f"latest#{VIEWER}", f"optout#{VIEWER}", Recipient(address=ADDRESS).key):
            admin.put_item(TableName="EmailStateTable", Item={"pk": {"S": key}})
        for viewer, job in ((VIEWER, "job-1"), (VIEWER, "job-2"), ("someone-else", "job-3")):
            admin.put_item(TableName="ExperimentEmailsTable", Item={
                "user_id": {"S": viewer}, "job_id": {"S": job}, "experiment": {"S": "e"},
            })  # fmt: skip
        account.expect(
            "personalize", "create_data_deletion_job",
            {"dataDeletionJobArn": "arn:aws:personalize:us-east-1:1:data-deletion-job/x"},
            {"jobName": ANY, "datasetGroupArn": TARGETS.dataset_group_arn,
             "dataSource": {"dataLocation": ANY}, "roleArn": TARGETS.personalize_role_arn},
        )  # fmt: skip
        erasure = AwsErasure(
            account.client("dynamodb", "ErasureRole"), account.client("s3", "ErasureRole"),
            account.client("personalize", "ErasureRole"), TARGETS,
        )  # fmt: skip

        erased, job = erasure.forget_user(VIEWER)
        by_address = erasure.forget_address(ADDRESS)

        account.assert_no_pending_responses()
        assert (erased["email state"], job.endswith("/x")) == (2, True)
        assert erased["experiment emails"] == 2
        kept = admin.scan(TableName="ExperimentEmailsTable")["Items"]
        assert [item["job_id"]["S"] for item in kept] == ["job-3"]
        assert by_address["opt-outs kept as a digest"] == 1
        keys = {i["pk"]["S"] for i in admin.scan(TableName="EmailStateTable")["Items"]}
        assert keys == {suppression_key(ADDRESS)}
        listing = boto3.client("s3").list_objects_v2(
            Bucket="databucket", Prefix="training/erasure/"
        )
        [uploaded] = listing["Contents"]
        body = boto3.client("s3").get_object(Bucket="databucket", Key=uploaded["Key"])
        assert body["Body"].read().decode() == f'USER_ID\n"{VIEWER}"\n'


def test_the_erasure_role_may_start_no_other_deletion_job() -> None:
    """The harness enforces ErasureRole: a job outside its name prefix is denied."""
    with deployed() as account:
        personalize = account.client("personalize", "ErasureRole")
        with pytest.raises(ClientError, match="AccessDenied"):
            personalize.create_data_deletion_job(
                jobName="someone-elses-job", datasetGroupArn=TARGETS.dataset_group_arn,
                dataSource={"dataLocation": "s3://databucket/training/erasure/x.csv"},
                roleArn=TARGETS.personalize_role_arn,
            )  # fmt: skip
        account.findings.clear()  # the denial was the point


def test_a_viewer_of_the_training_data_is_served_as_a_newcomer_once_forgotten(
    tmp_path: Path, trained: Path
) -> None:
    """a0 is in the trained model: after `forget` and a restart, the model no longer serves
    their training row (until a retraining leaves them out of the factors too)."""
    from watchnext.recommender.models import LocalRecommender

    config = config_for(tmp_path, trained)
    with running_stack(config) as stack:
        model = stack.model
        assert isinstance(model, LocalRecommender)
        assert model.history_of("a0") != []

    forgot = CliRunner().invoke(app, ["forget", "a0", "--data-dir", str(tmp_path),
                                      "--dataset", str(tmp_path / "none")])  # fmt: skip

    assert forgot.exit_code == 0, forgot.output
    with running_stack(config) as again:
        model = again.model
        assert isinstance(model, LocalRecommender)
        assert model.history_of("a0") == []
        assert {item.because for item in model.recommend("a0", 5).items} == {None}


def test_a_deletion_list_the_personalize_role_cannot_read_is_refused() -> None:
    """As Personalize would: the job reads its CSV as the role it is handed, and that role
    reads only under the data prefix."""
    with deployed() as account:
        boto3.client("s3").put_object(
            Bucket="databucket", Key="elsewhere/u.csv", Body=b"USER_ID\nu\n"
        )
        personalize = account.client("personalize", "ErasureRole")
        with pytest.raises(ClientError, match="may not read"):
            personalize.create_data_deletion_job(
                jobName=f"watchnext-{STAGE}-forget-x", datasetGroupArn=TARGETS.dataset_group_arn,
                dataSource={"dataLocation": "s3://databucket/elsewhere/u.csv"},
                roleArn=TARGETS.personalize_role_arn,
            )  # fmt: skip
        account.findings.clear()  # the refusal was the point
