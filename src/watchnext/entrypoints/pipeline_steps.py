"""Lambda for the training state machine's steps that ASL cannot express.

The payload's ``step`` names the step: ``configure`` (``input``, ``bucket``, ``key``),
``select-solution`` (``solutions``, ``metric``) or ``load-catalog`` (``bucket``, ``key``).
The catalog table comes from the environment.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from watchnext.adapters.aws.clients import CLIENT_CONFIG, client
from watchnext.observability import logger
from watchnext.pipeline.catalog_loader import load_catalog
from watchnext.pipeline.config import event_properties, resolve_config
from watchnext.pipeline.errors import PipelineError
from watchnext.pipeline.selection import select
from watchnext.settings import Settings, require

# Built at init and kept, as every handler's clients are.
session = boto3.session.Session()
s3 = client(session, "s3")
dynamodb = session.resource("dynamodb", config=CLIENT_CONFIG)


def _read_object(bucket: str, key: str) -> str | None:
    try:
        return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
    except s3.exceptions.NoSuchKey:
        return None


def _configure(event: dict[str, Any]) -> dict[str, Any]:
    bucket, key = str(event["bucket"]), str(event["key"])
    config = resolve_config(event["input"], _read_object, bucket, key)
    if "like_threshold" not in config.model_fields_set:  # the stack's, as the API reads it
        config = config.model_copy(update={"like_threshold": Settings.from_env().like_threshold})
    # The schema sits beside config.json; without it the import step fails the run later.
    schema = _read_object(bucket, key.rsplit("/", 1)[0] + "/schemas/interactions.schema.json")
    return config.as_run_input(event_properties(schema) if schema else [])


def _load_catalog(event: dict[str, Any]) -> dict[str, Any]:
    table_name = require(Settings.from_env().catalog_table, "catalog_table", "items load into it")
    table = dynamodb.Table(table_name)
    loaded = load_catalog(s3, table, str(event["bucket"]), str(event["key"]))
    if loaded is None:
        logger.info("No items.csv; the catalog keeps what it has", extra={"key": event["key"]})
        return {"loaded": 0, "found": False}
    logger.info("Catalog loaded", extra={"items": loaded, "table": table_name})
    return {"loaded": loaded, "found": True}


def _select_solution(event: dict[str, Any]) -> dict[str, Any]:
    selection = select(event["solutions"], str(event["metric"]))
    logger.info("Best solution", extra={"best": selection["best"]})
    return selection


STEPS = {
    "configure": _configure,
    "load-catalog": _load_catalog,
    "select-solution": _select_solution,
}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = STEPS.get(str(event.get("step")))
    if step is None:
        raise PipelineError(f"unknown step {event.get('step')!r}; expected one of {sorted(STEPS)}")
    return step(event)
