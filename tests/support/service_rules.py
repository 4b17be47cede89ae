"""The documented limits of the services we fake with Stubber, as data the fakes enforce.

botocore validates types, required members and minimums before a call, but not maximums, and
nothing about what a call means; the real service refuses both. Each rule here returns the
message the service would refuse with, or None. Sources:

* every ``max`` length in the service model (botocore's copy of the API reference);
* Personalize ``PutEvents`` / ``Event``: ``properties`` is a JSON object whose keys are the
  interactions schema's extra columns in camelCase (API_UBS_Event; "Recording events" in the
  developer guide), and the reserved names may not be properties;
* ``GetRecommendations.numResults``: at most 500 (API_RS_GetRecommendations);
* ``CreateSolutionVersion.trainingMode`` UPDATE: only for solutions of the User-Personalization
  (v1) or legacy HRNN-Coldstart recipes, and only once an ACTIVE FULL version exists
  (API_CreateSolutionVersion, botocore's documentation of the member);
* ``CreateDataDeletionJob``: ``dataLocation`` is an S3 path to a CSV of the users to delete,
  with a ``USER_ID`` column (API_CreateDataDeletionJob; "Deleting users" in the developer
  guide); the job name is 1 to 63 letters, digits, ``-`` and ``_``, starting with a letter or
  digit (the member's pattern, which botocore does not check);
* Pinpoint endpoint ``UserAttributes``: names of at most 50 characters, values of at most 100
  (Pinpoint API reference, EndpointUser).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.model import Shape

RESERVED_EVENT_PROPERTIES = frozenset(
    {"userId", "sessionId", "eventType", "eventValue", "timestamp", "sentAt", "itemId",
     "recommendationId", "impression", "eventId"}
)  # fmt: skip
SCHEMA_COLUMNS_NOT_PROPERTIES = frozenset(
    {"USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "IMPRESSION",
     "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE"}
)  # fmt: skip
UPDATE_RECIPES = frozenset(
    {"arn:aws:personalize:::recipe/aws-user-personalization",
     "arn:aws:personalize:::recipe/aws-hrnn-coldstart"}
)  # fmt: skip
MAX_NUM_RESULTS = 500
PINPOINT_ATTRIBUTE_NAME_MAX = 50
PINPOINT_ATTRIBUTE_VALUE_MAX = 100


def camel_case(column: str) -> str:
    """EVENT_VERIFIED_PURCHASE → eventVerifiedPurchase (how PutEvents names schema columns)."""
    head, *rest = column.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def maximums(value: Any, shape: Shape | None, path: str = "") -> list[str]:
    """Every ``max`` of the service model that ``value`` exceeds (botocore checks only min)."""
    if shape is None:
        return []
    problems = []
    limit = shape.metadata.get("max")
    if limit is not None and isinstance(value, str | list) and len(value) > limit:
        problems.append(f"{path or 'value'} has {len(value)} {_unit(value)}; at most {limit}")
    if shape.type_name == "structure" and isinstance(value, Mapping):
        for name, item in value.items():
            member = shape.members.get(name)  # type: ignore[attr-defined]
            problems.extend(maximums(item, member, f"{path}.{name}".lstrip(".")))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(maximums(item, shape.member, f"{path}[{index}]"))  # type: ignore[attr-defined]
    elif shape.type_name == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            problems.extend(maximums(item, shape.value, f"{path}.{key}"))  # type: ignore[attr-defined]
    return problems


def _unit(value: str | list[Any]) -> str:
    return "characters" if isinstance(value, str) else "items"


@dataclass
class PersonalizeState:
    """What the fake Personalize knows: the interactions schema and each solution's recipe."""

    interaction_columns: frozenset[str] = frozenset()
    readable: Callable[[str, str], bool] = lambda _bucket, _key: True
    """Whether Personalize's role may read s3://bucket/key (`AwsAccount` sets it from the
    template's role and bucket policy)."""
    solution_recipes: dict[str, str] = field(default_factory=dict)
    solutions_with_full_version: set[str] = field(default_factory=set)

    def allowed_properties(self) -> set[str]:
        return {
            camel_case(column)
            for column in self.interaction_columns
            if column not in SCHEMA_COLUMNS_NOT_PROPERTIES
        }


def _put_events(state: PersonalizeState, params: Mapping[str, Any]) -> str | None:
    allowed = state.allowed_properties()
    for index, event in enumerate(params.get("eventList", [])):
        raw = event.get("properties")
        if raw is None:
            continue
        properties = json.loads(raw)
        if not isinstance(properties, dict):
            return f"eventList[{index}].properties must be a JSON object"
        for key in properties:
            if key in RESERVED_EVENT_PROPERTIES:
                return f"eventList[{index}].properties: {key!r} is reserved"
            if key not in allowed:
                return (
                    f"eventList[{index}].properties: {key!r} is not a column of the "
                    f"interactions schema (its property columns: {sorted(allowed) or 'none'})"
                )
    return None


def _get_recommendations(_state: PersonalizeState, params: Mapping[str, Any]) -> str | None:
    if params.get("numResults", 25) > MAX_NUM_RESULTS:
        return f"numResults must be at most {MAX_NUM_RESULTS}"
    return None


def _create_solution_version(state: PersonalizeState, params: Mapping[str, Any]) -> str | None:
    solution = str(params["solutionArn"])
    mode = params.get("trainingMode", "FULL")
    if mode != "UPDATE":
        return None
    recipe = state.solution_recipes.get(solution)
    if recipe not in UPDATE_RECIPES:
        return (
            f"trainingMode UPDATE is not supported for {solution}: its recipe {recipe} is not "
            "User-Personalization (v1) or HRNN-Coldstart"
        )
    if solution not in state.solutions_with_full_version:
        return f"trainingMode UPDATE needs an ACTIVE FULL solution version of {solution}"
    return None


JOB_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}")


def _create_data_deletion_job(state: PersonalizeState, params: Mapping[str, Any]) -> str | None:
    if not JOB_NAME.fullmatch(str(params["jobName"])):
        return f"jobName {params['jobName']!r} does not match [a-zA-Z0-9][a-zA-Z0-9\\-_]*"
    location = str(params["dataSource"].get("dataLocation", ""))
    if not location.startswith("s3://"):
        return f"dataSource.dataLocation {location!r} is not an s3:// path"
    import boto3  # the moto S3 of the test account, read as the service would

    bucket, _, key = location[len("s3://") :].partition("/")
    if not state.readable(bucket, key):
        return f"the role in roleArn may not read {location} (s3:GetObject)"
    try:
        head = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read(4096)
    except Exception as error:  # any failure to read it is the service refusing the job
        return f"cannot read {location}: {error}"
    first_line = head.decode("utf-8", "replace").splitlines()[:1]
    if [column.strip('"') for column in (first_line or [""])[0].split(",")] != ["USER_ID"]:
        return f"{location} must be a CSV with one USER_ID column, not {first_line!r}"
    return None


def _update_endpoint(_state: PersonalizeState, params: Mapping[str, Any]) -> str | None:
    user = params.get("EndpointRequest", {}).get("User", {})
    for name, values in user.get("UserAttributes", {}).items():
        if len(name) > PINPOINT_ATTRIBUTE_NAME_MAX:
            return f"user attribute name {name[:20]!r}… is longer than 50 characters"
        for value in values:
            if len(value) > PINPOINT_ATTRIBUTE_VALUE_MAX:
                return (
                    f"user attribute {name!r} has a value of {len(value)} characters; "
                    f"at most {PINPOINT_ATTRIBUTE_VALUE_MAX}"
                )
    return None


Rule = Callable[[PersonalizeState, Mapping[str, Any]], "str | None"]
RULES: dict[tuple[str, str], Rule] = {
    ("personalize-events", "PutEvents"): _put_events,
    ("personalize-runtime", "GetRecommendations"): _get_recommendations,
    ("personalize", "CreateSolutionVersion"): _create_solution_version,
    ("personalize", "CreateDataDeletionJob"): _create_data_deletion_job,
    ("pinpoint", "UpdateEndpoint"): _update_endpoint,
}
# Services whose fakes are Stubber or mocked state-machine responses: moto enforces the rest.
FAKED_SERVICES = frozenset(
    {"personalize", "personalize-events", "personalize-runtime", "pinpoint", "sesv2"}
)


def violations(
    state: PersonalizeState, service: str, operation: str, params: Mapping[str, Any], shape: Any
) -> list[str]:
    """What the real service would refuse in this call (API member names)."""
    if service not in FAKED_SERVICES:
        return []
    found = maximums(params, shape)
    rule = RULES.get((service, operation))
    if rule is not None and (problem := rule(state, params)):
        found.append(problem)
    return found


def columns_of(avro_schema: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(str(f["name"]) for f in avro_schema.get("fields", []))
