"""IAM as AWS enforces it, for the calls our code makes in tests.

Each call is mapped to its IAM action and resource ARNs (which resource types an action takes,
and their ARN formats, come from policy_sentry's copy of the Service Authorization Reference),
then evaluated against the calling role's policies from template.yaml: an explicit Deny wins,
then any Allow, else the call is denied. Conditions support the operators the template uses.

Written by hand because no maintained offline evaluator of IAM policies exists for Python
(policy_sentry and parliament describe actions, they do not evaluate policies; the IAM policy
simulator is an AWS API). Managed policies that SAM attaches (basic execution, X-Ray, SQS
polling) are treated as granting nothing: our code calls none of what they grant, and an
unknown grant must not make a call pass.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tests.support.stack import ACCOUNT, REGION, Stack

# boto3 service names whose IAM prefix differs.
IAM_PREFIX = {
    "personalize-events": "personalize",
    "personalize-runtime": "personalize",
    "sesv2": "ses",
    "pinpoint": "mobiletargeting",
    "cloudwatch": "cloudwatch",
    "stepfunctions": "states",
}
# Operations authorized as another action (Service Authorization Reference).
ACTION_FOR_OPERATION = {
    ("s3", "HeadObject"): "GetObject",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("lambda", "Invoke"): "InvokeFunction",
}


@dataclass(frozen=True)
class Request:
    """One authorization AWS makes for a call: an action on one resource, with its context."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class Principal:
    """A function's or state machine's role: its name and its resolved policy statements."""

    name: str
    role: str
    statements: tuple[Mapping[str, Any], ...]


def principal(stack: Stack, logical_id: str) -> Principal:
    """The role of a function or state machine in ``stack``, as the transform generated it,
    or a role of the template itself."""
    spec = stack.template["Resources"][logical_id]
    properties = spec["Properties"]
    if spec["Type"] == "AWS::IAM::Role":  # a role people assume, like ErasureRole
        role_id = logical_id
    else:
        role_arn = properties.get("Role") or properties.get("RoleArn")
        role_id = role_arn["Fn::GetAtt"][0]
    role = stack.properties(role_id)
    statements: list[Mapping[str, Any]] = []
    for policy in role.get("Policies", []):
        document_statements = policy["PolicyDocument"]["Statement"]
        if isinstance(document_statements, Mapping):
            document_statements = [document_statements]
        statements.extend(document_statements)
    return Principal(name=logical_id, role=role_id, statements=tuple(statements))


def resource_policies(stack: Stack) -> dict[str, list[Mapping[str, Any]]]:
    """Bucket policies by bucket ARN (their Deny statements apply to every caller)."""
    policies: dict[str, list[Mapping[str, Any]]] = {}
    for logical_id in stack.resources("AWS::S3::BucketPolicy"):
        properties = stack.properties(logical_id)
        bucket = f"arn:aws:s3:::{properties['Bucket']}"
        policies.setdefault(bucket, []).extend(properties["PolicyDocument"]["Statement"])
    return policies


# ---- evaluation ----
def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None


def _matches_action(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(
            _glob(p, action, case_sensitive=False) for p in _listed(statement["NotAction"])
        )
    return any(_glob(p, action, case_sensitive=False) for p in _listed(statement["Action"]))


def _matches_resource(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(
            _glob(p, resource, case_sensitive=True) for p in _listed(statement["NotResource"])
        )
    patterns = _listed(statement.get("Resource", "*"))
    if resource == "*":  # an action without resource-level permissions matches only "*"
        return "*" in patterns
    return any(_glob(p, resource, case_sensitive=True) for p in patterns)


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if key not in context:
        return if_exists or base.startswith("StringNot") or (base == "Null" and expected in (
            True, "true",
        ))  # fmt: skip
    actual = context[key]
    wanted = [str(item) for item in _listed(expected)]
    tests = {
        "StringEquals": lambda: actual in wanted,
        "StringNotEquals": lambda: actual not in wanted,
        "StringLike": lambda: any(fnmatch.fnmatchcase(actual, w) for w in wanted),
        "ArnLike": lambda: any(_glob(w, actual, case_sensitive=True) for w in wanted),
        "ArnEquals": lambda: actual in wanted,
        "Bool": lambda: actual.lower() in [w.lower() for w in wanted],
        "Null": lambda: str(expected).lower() == "false",
    }
    if base not in tests:
        raise NotImplementedError(f"condition operator {operator} is not modelled by the harness")
    return tests[base]()


def _conditions_hold(statement: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, expected in keys.items()
    )


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    return (
        _matches_action(statement, request.action)
        and _matches_resource(statement, request.resource)
        and _conditions_hold(statement, request.context)
    )


def evaluate(
    statements: Iterable[Mapping[str, Any]],
    request: Request,
    deny_only: Iterable[Mapping[str, Any]] = (),
) -> Decision:
    """IAM's order: an explicit Deny (identity or resource policy), else an Allow, else deny."""
    statements = list(statements)
    for statement in [*statements, *deny_only]:
        if statement["Effect"] == "Deny" and _applies(statement, request):
            return Decision(False, f"explicitly denied by {_describe(statement)}")
    for statement in statements:
        if statement["Effect"] == "Allow" and _applies(statement, request):
            return Decision(True, f"allowed by {_describe(statement)}")
    return Decision(False, _why_not(statements, request))


def _describe(statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    name = f"statement {sid!r}" if sid else "an unnamed statement"
    resources = ", ".join(str(r) for r in _listed(statement.get("Resource", "*")))
    condition = f" when {statement['Condition']}" if "Condition" in statement else ""
    return f"{name} (on {resources}{condition})"


def _why_not(statements: list[Mapping[str, Any]], request: Request) -> str:
    candidates = [
        s for s in statements if s["Effect"] == "Allow" and _matches_action(s, request.action)
    ]
    if not candidates:
        near = [
            s
            for s in statements
            if s["Effect"] == "Allow" and _matches_resource(s, request.resource)
        ]
        if not near:
            return f"no statement grants {request.action}"
        return f"no statement grants {request.action}; " + "; ".join(
            f"{_describe(s)} covers it with {', '.join(_listed(s['Action']))} only" for s in near
        )
    reasons = []
    for statement in candidates:
        if not _matches_resource(statement, request.resource):
            reasons.append(f"{_describe(statement)} does not cover {request.resource}")
        else:
            reasons.append(f"{_describe(statement)}: its condition does not hold")
    return "; ".join(reasons)


# ---- calls to requests ----
@cache
def arn_formats(prefix: str, action: str) -> tuple[str, ...]:
    """The resource ARN formats ``prefix:action`` takes ("*" alone: no resource-level
    permissions), from policy_sentry's database."""
    from policy_sentry.querying.actions import get_action_data

    data = get_action_data(prefix, action)
    rows = data.get(prefix) if isinstance(data, dict) else None
    if not rows:
        raise LookupError(f"{prefix}:{action} is not an IAM action (Service Authorization Ref.)")
    return tuple(str(row["resource_arn_format"]) for row in rows)


def _format_regex(arn_format: str) -> re.Pattern[str]:
    parts = re.split(r"\$\{[^}]+\}", arn_format)
    return re.compile(".+".join(re.escape(part) for part in parts))


def _personalize_arns(operation: str, params: Mapping[str, Any]) -> list[str]:
    prefix = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
    if operation == "CreateDataset":
        group = str(params["datasetGroupArn"]).rsplit("/", 1)[1]
        return [f"{prefix}:dataset/{group}/{str(params['datasetType']).upper()}"]
    if operation == "CreateEventTracker":
        return [f"{prefix}:event-tracker/generated-id"]
    created = {
        "CreateDatasetGroup": "dataset-group", "CreateSchema": "schema",
        "CreateSolution": "solution", "CreateCampaign": "campaign", "CreateFilter": "filter",
        "CreateDatasetImportJob": "dataset-import-job",
        "CreateMetricAttribution": "metric-attribution",
        "CreateDataDeletionJob": "data-deletion-job",
    }  # fmt: skip
    if operation in created:
        name = params.get("name") or params["jobName"]
        return [f"{prefix}:{created[operation]}/{name}"]
    if operation == "CreateSolutionVersion":
        return [str(params["solutionArn"])]
    # Everything else names its resource by ARN; filters and roles ride along as parameters.
    for key in ("campaignArn", "solutionVersionArn", "solutionArn", "datasetImportJobArn",
                "datasetArn", "eventTrackerArn", "filterArn", "metricAttributionArn",
                "datasetGroupArn", "schemaArn", "recipeArn"):  # fmt: skip
        if key in params:
            return [str(params[key])]
    return ["*"]


def _arns(service: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    p = params
    if service == "dynamodb":
        tables = list(p["RequestItems"]) if "RequestItems" in p else [p["TableName"]]
        # A Query or Scan of an index is authorized on the index, not on its table.
        index = f"/index/{p['IndexName']}" if "IndexName" in p else ""
        return [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}{index}" for table in tables]
    if service == "sqs":
        return [f"arn:aws:sqs:{REGION}:{ACCOUNT}:{str(p['QueueUrl']).rsplit('/', 1)[1]}"]
    if service == "ssm":
        name = str(p.get("Name") or p.get("Path"))
        return [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"]
    if service == "s3":
        key = p.get("Key")
        return [f"arn:aws:s3:::{p['Bucket']}" + (f"/{key}" if key is not None else "")]
    if service == "secretsmanager":
        secret = str(p["SecretId"])
        return [secret if secret.startswith("arn:") else f"arn:aws:secretsmanager:{REGION}:"
                f"{ACCOUNT}:secret:{secret}-??????"]  # fmt: skip
    if service in ("personalize", "personalize-events", "personalize-runtime"):
        return _personalize_arns(operation, p)
    if service == "sesv2":
        return _ses_arns(operation, p)
    if service == "pinpoint":
        return _pinpoint_arns(operation, p)
    if service == "stepfunctions":
        return [str(p.get("stateMachineArn") or p.get("executionArn"))]
    if service == "lambda":
        return [str(p["FunctionName"])]
    if service == "sns":
        return [str(p["TopicArn"])]
    if service == "cloudwatch":
        return ["*"]
    raise NotImplementedError(f"the IAM harness has no ARN rule for {service}.{operation}")


def _ses_arns(operation: str, params: Mapping[str, Any]) -> list[str]:
    prefix = f"arn:aws:ses:{REGION}:{ACCOUNT}"
    if operation.endswith("EmailTemplate"):
        return [f"{prefix}:template/{params['TemplateName']}"]
    sender = str(params["FromEmailAddress"])
    # SES authorizes the sending identity; which one (address or domain) depends on what is
    # verified, so both must be allowed here, a stricter rule than SES's.
    arns = [f"{prefix}:identity/{sender}", f"{prefix}:identity/{sender.split('@', 1)[1]}"]
    template = params.get("Content", {}).get("Template", {}).get("TemplateName")
    if template:
        arns.append(f"{prefix}:template/{template}")
    if params.get("ConfigurationSetName"):
        arns.append(f"{prefix}:configuration-set/{params['ConfigurationSetName']}")
    return arns


def _pinpoint_arns(operation: str, params: Mapping[str, Any]) -> list[str]:
    prefix = f"arn:aws:mobiletargeting:{REGION}:{ACCOUNT}"
    if operation.endswith("EmailTemplate"):
        return [f"{prefix}:templates/{params['TemplateName']}/EMAIL"]
    app = f"{prefix}:apps/{params['ApplicationId']}"
    if operation == "UpdateEndpoint":
        return [f"{app}/endpoints/{params['EndpointId']}"]
    if operation == "SendUsersMessages":
        return [f"{app}/messages"]
    return [app]


def _context(service: str, operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    context = {"aws:SecureTransport": "true"}  # boto3 calls AWS over HTTPS
    if service == "sesv2" and "FromEmailAddress" in params:
        context["ses:FromAddress"] = str(params["FromEmailAddress"])
    if service == "cloudwatch" and "Namespace" in params:
        context["cloudwatch:namespace"] = str(params["Namespace"])
    return context


def requests_for(service: str, operation: str, params: Mapping[str, Any]) -> list[Request]:
    """What IAM authorizes for one call (``service`` as boto3 names it, API member names)."""
    prefix = IAM_PREFIX.get(service, service)
    action = ACTION_FOR_OPERATION.get((service, operation), operation)
    formats = arn_formats(prefix, action)
    context = _context(service, operation, params)
    if formats == ("*",):
        resources = ["*"]
    else:
        resources = _arns(service, operation, params)
        patterns = [_format_regex(f) for f in formats if f != "*"]
        for arn in resources:
            if arn != "*" and not any(p.fullmatch(arn) for p in patterns):
                raise AssertionError(
                    f"IAM harness: {arn} is none of {prefix}:{action}'s resource types {formats}"
                )
    found = [Request(f"{prefix}:{action}", arn, context) for arn in resources]
    role = params.get("roleArn") or params.get("metricsOutputConfig", {}).get("roleArn")
    if role:  # Personalize assumes the role it is handed: the caller needs iam:PassRole
        passed = {"iam:PassedToService": "personalize.amazonaws.com"}
        found.append(Request("iam:PassRole", str(role), passed))
    return found
