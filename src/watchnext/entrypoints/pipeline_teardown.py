"""Custom resource that deletes the training pipeline's Personalize resources with the stack.

CloudFormation has no types for campaigns, solution versions or filters, so a stack deletion
would leave them billing. On Delete this function starts the teardown state machine and
returns *without* answering; the state machine deletes everything in dependency order (which
can take longer than a Lambda may run) and then invokes this function again with
``{"answer": ...}`` to answer CloudFormation: SUCCESS, or FAILED naming what is left.
Create and Update have nothing to do and answer at once. If the teardown cannot even start,
the answer is FAILED straight away, so a stack never waits an hour for nothing.

The response is hand-written (an HTTPS PUT of a small JSON document) rather than crhelper's,
because crhelper always answers when the handler returns and has no "someone else answers".
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.request
from collections.abc import Mapping
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from watchnext.adapters.aws.clients import client
from watchnext.observability import logger

REASON_LIMIT = 3000  # CloudFormation caps the whole response body at 4,096 bytes
REQUEST_FIELDS = ("ResponseURL", "StackId", "RequestId", "LogicalResourceId")


def answer(request: Mapping[str, Any], status: str, reason: str, physical_id: str) -> None:
    """PUT the custom resource's response to CloudFormation's pre-signed URL."""
    url = str(request["ResponseURL"])
    if not url.startswith("https://"):
        raise ValueError(f"ResponseURL must be https, not {url[:16]!r}")
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:REASON_LIMIT],
            "PhysicalResourceId": physical_id,
            "StackId": request["StackId"],
            "RequestId": request["RequestId"],
            "LogicalResourceId": request["LogicalResourceId"],
            "Data": {},
        }
    ).encode()
    put = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE"))
    with urllib.request.urlopen(put, timeout=30, context=context) as response:  # noqa: S310
        logger.info("Answered CloudFormation", extra={"status": status, "http": response.status})


sfn = client(boto3.session.Session(), "stepfunctions")  # built at init and kept


def _physical_id(event: Mapping[str, Any]) -> str:
    props = event.get("ResourceProperties", {})
    return str(event.get("PhysicalResourceId") or props.get("ResourcePrefix") or "watchnext")


def _start_teardown(event: Mapping[str, Any], physical_id: str) -> None:
    props = event.get("ResourceProperties", {})
    request = {field: event[field] for field in REQUEST_FIELDS}
    request["PhysicalResourceId"] = physical_id
    try:
        # Named after the request: CloudFormation re-sending the same request starts nothing new.
        sfn.start_execution(
            stateMachineArn=str(props["StateMachineArn"]),
            name=f"stack-delete-{str(event['RequestId'])[:60]}",
            input=json.dumps({"cloudFormation": request}),
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        logger.info("Teardown already started for this request")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "answer" in event:  # from the teardown state machine
        reply = event["answer"]
        request = reply["request"]
        answer(
            request,
            str(reply["status"]),
            str(reply.get("reason", "")),
            request["PhysicalResourceId"],
        )
        return {"answered": reply["status"]}
    physical_id = _physical_id(event)
    if event.get("RequestType") != "Delete":
        answer(
            event,
            "SUCCESS",
            "Nothing to create: the training pipeline creates resources",
            physical_id,
        )
        return {"answered": "SUCCESS"}
    try:
        _start_teardown(event, physical_id)
    except Exception as error:
        logger.exception("Teardown did not start")
        answer(event, "FAILED", f"Teardown did not start: {error}", physical_id)
        return {"answered": "FAILED"}
    return {"started": True}
