"""The strict account proves something only if it can fail: these tests deploy altered copies
of template.yaml and check that the harness refuses what AWS would refuse."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.deployment import deployed, received
from tests.support.fakes import email_job
from tests.support.iam import Request, evaluate
from tests.support.lambda_runtime import invoke
from tests.support.stack import REGION, Stack, template_text

STEPS_LIST_BUCKET = (
    "            # Without ListBucket, S3 answers a missing key (no config.json) with 403, "
    "not 404.\n"
)
STEPS_LIST_BUCKET += """            - Effect: Allow
              Action: s3:ListBucket
              Resource: !GetAtt DataBucket.Arn
"""


def without(text: str, part: str) -> Stack:
    assert part in text, f"template.yaml no longer has {part!r}"
    return Stack(source=text.replace(part, "", 1))


def deliver_one_job(stack: Stack) -> None:
    with deployed(stack=stack) as account:
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=account.stack.ref("EmailJobQueue"), MessageBody=email_job().model_dump_json()
        )
        account.expect("sesv2", "send_email", {"MessageId": "m"})
        invoke(account, "MailerFunction", {"Records": received(account, "EmailJobQueue")})


def test_removing_update_item_from_the_mailer_fails_the_mailer_test() -> None:
    stack = without(template_text(), "dynamodb:UpdateItem, ")  # the mailer's MailerState

    with pytest.raises(AssertionError) as failure:
        deliver_one_job(stack)

    message = str(failure.value)
    assert "MailerFunction (role MailerFunctionRole) is denied dynamodb:UpdateItem" in message
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/EmailStateTable" in message
    assert "statement 'MailerState'" in message


def read_missing_config(stack: Stack | None) -> str:
    """The error code the pipeline steps' role gets for a config.json that is not there."""
    with deployed(stack=stack) as account:
        s3 = account.client("s3", "PipelineStepsFunction")
        bucket = account.stack.physical_name("DataBucket")
        try:
            s3.get_object(Bucket=bucket, Key="training/config.json")
        except ClientError as error:
            account.findings.clear()  # the answer is what this test checks
            return str(error.response["Error"]["Code"])
    raise AssertionError("a missing key was read")


@pytest.mark.parametrize(
    ("stack", "code"),
    [(None, "NoSuchKey"), (without(template_text(), STEPS_LIST_BUCKET), "AccessDenied")],
    ids=["with-list-bucket", "without-list-bucket"],
)
def test_a_missing_key_is_404_only_to_a_caller_that_may_list_the_bucket(
    stack: Stack | None, code: str
) -> None:
    assert read_missing_config(stack) == code


def test_an_action_without_resource_level_permissions_matches_only_a_star() -> None:
    tracker = "arn:aws:personalize:us-east-1:123456789012:event-tracker/*"
    scoped = {"Effect": "Allow", "Action": "personalize:PutEvents", "Resource": tracker}
    anywhere = {**scoped, "Resource": "*"}
    request = Request("personalize:PutEvents", "*")

    assert not evaluate([scoped], request).allowed
    assert evaluate([anywhere], request).allowed
    assert not evaluate([anywhere, {**anywhere, "Effect": "Deny"}], request).allowed
