"""Right to erasure on AWS (`watchnext forget --aws`), as the stack's ErasureRole allows.

* **A viewer**: their items of the email state table go (``latest#``, the legacy
  ``optout#``), and those of the experiment-emails table (`experiment_emails`), and
  Personalize's ``CreateDataDeletionJob`` deletes their interactions and user data from the
  dataset group; solutions drop them at their next training (Personalize
  developer guide, "Deleting users"; API_CreateDataDeletionJob). The job reads a CSV with a
  ``USER_ID`` column, written under the data prefix, where the Personalize role may read.
* **An address**: its opt-out is replaced by a digest that still stops mail
  (`suppression_key`).
* **What expires by itself**: idempotency records (``IdempotencyExpirySeconds``, TTL), send
  counts (their window, TTL), followed-link records (the link's lifetime, TTL). Email jobs
  already on the queue cannot be picked out of SQS; they are sent or dead-lettered within the
  queue's retention.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from watchnext.adapters.aws.experiment_emails import DynamoDbExperimentEmails
from watchnext.domain.email import Recipient, suppression_key

OUTPUTS = {
    "email_state_table": "EmailStateTableName",
    "experiment_emails_table": "ExperimentEmailsTableName",
    "data_bucket": "DataBucketName",
    "data_prefix": "DataPrefix",
    "dataset_group_arn": "DatasetGroupArn",
    "personalize_role_arn": "PersonalizeRoleArn",
    "parameter_path": "ParameterPath",
}


@dataclass(frozen=True)
class ErasureTargets:
    email_state_table: str
    experiment_emails_table: str
    data_bucket: str
    data_prefix: str
    dataset_group_arn: str
    personalize_role_arn: str
    parameter_path: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> ErasureTargets:
        missing = [name for name in OUTPUTS.values() if name not in outputs]
        if missing:
            raise KeyError(", ".join(missing))
        return cls(**{field: outputs[output] for field, output in OUTPUTS.items()})

    @property
    def job_prefix(self) -> str:
        """The name every deletion job starts with (ErasureRole allows only these)."""
        return f"watchnext-{self.parameter_path.rstrip('/').rsplit('/', 1)[-1]}-forget"


class AwsErasure:
    def __init__(self, dynamodb: Any, s3: Any, personalize: Any, targets: ErasureTargets) -> None:
        self._dynamodb = dynamodb
        self._s3 = s3
        self._personalize = personalize
        self._targets = targets

    def forget_user(self, user_id: str) -> tuple[Counter[str], str]:
        """What was erased, and the ARN of the Personalize data deletion job."""
        erased: Counter[str] = Counter()
        for key in (f"latest#{user_id}", Recipient(legacy_user_id=user_id).key):
            erased["email state"] += self._delete(key)
        experiment_emails = DynamoDbExperimentEmails(
            self._dynamodb, self._targets.experiment_emails_table
        )
        erased["experiment emails"] += experiment_emails.forget_user(user_id)
        run = uuid.uuid4().hex[:12]
        key = f"{self._targets.data_prefix}/erasure/{run}.csv"
        quoted = '"' + user_id.replace('"', '""') + '"'
        self._s3.put_object(
            Bucket=self._targets.data_bucket, Key=key, Body=f"USER_ID\n{quoted}\n".encode()
        )
        job = self._personalize.create_data_deletion_job(
            jobName=f"{self._targets.job_prefix}-{run}",
            datasetGroupArn=self._targets.dataset_group_arn,
            dataSource={"dataLocation": f"s3://{self._targets.data_bucket}/{key}"},
            roleArn=self._targets.personalize_role_arn,
        )
        return erased, str(job["dataDeletionJobArn"])

    def forget_address(self, address: str) -> Counter[str]:
        erased: Counter[str] = Counter()
        if self._delete(Recipient(address=address).key):
            self._dynamodb.put_item(
                TableName=self._targets.email_state_table,
                Item={"pk": {"S": suppression_key(address)}},
            )
            erased["opt-outs kept as a digest"] += 1
        return erased

    def _delete(self, key: str) -> int:
        answer = self._dynamodb.delete_item(
            TableName=self._targets.email_state_table,
            Key={"pk": {"S": key}},
            ReturnValues="ALL_OLD",
        )
        return 1 if answer.get("Attributes") else 0
