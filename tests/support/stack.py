"""template.yaml as CloudFormation would deploy it, in a test account.

The SAM transform (aws-sam-translator, the library `sam deploy` uses) turns the template into
plain CloudFormation, with the roles SAM generates for each function and state machine; then
the intrinsics are resolved for one region, account and set of parameters. Physical names are
the logical ids (lower-cased for buckets), so moto resources built under those names have the
ARNs that the roles name.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tests.support import ROOT

REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
STAGE = "test"
SENDER = "picks@watchnext.example.com"
DEFAULT_PARAMETERS: Mapping[str, str] = {"Stage": STAGE, "EmailSender": SENDER}

_NO_VALUE = object()


def template_text() -> str:
    return (ROOT / "template.yaml").read_text()


@cache
def _transformed(source: str, parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        """The transform only names AWS managed policies; nothing here looks them up."""

        def load(self) -> dict[str, str]:
            return {}

    template = yaml_parse(source)
    for logical_id, spec in template["Resources"].items():
        properties = spec.get("Properties", {})
        for key in ("CodeUri", "DefinitionUri", "ContentUri"):
            if key in properties:  # what `sam package` does: local folders become S3 objects
                properties[key] = f"s3://watchnext-artifacts/{logical_id}"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return dict(transform(template, dict(parameters), NoManagedPolicies()))


@dataclass
class Stack:
    """One deployment of template.yaml: resolved resources, roles and environments."""

    parameters: Mapping[str, str] = field(default_factory=dict)
    source: str = field(default_factory=template_text)
    """The template's text: tests may deploy an altered copy."""
    arns: dict[str, str] = field(default_factory=dict)
    """ARNs a service chose (a secret's random suffix), by logical id, once created."""

    def __post_init__(self) -> None:
        given = {**DEFAULT_PARAMETERS, **self.parameters}
        self.template = copy.deepcopy(_transformed(self.source, tuple(sorted(given.items()))))
        declared = self.template.get("Parameters", {})
        self.parameter_values: dict[str, Any] = {
            name: given.get(name, spec.get("Default")) for name, spec in declared.items()
        }
        self.conditions = {
            name: bool(self.resolve(expression))
            for name, expression in self.template.get("Conditions", {}).items()
        }

    # ---- names and attributes of resources ----
    def resources(self, type_name: str | None = None) -> dict[str, dict[str, Any]]:
        return {
            logical_id: spec
            for logical_id, spec in self.template["Resources"].items()
            if type_name is None or spec["Type"] == type_name
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resolve(self.template["Resources"][logical_id].get("Properties", {})))

    def physical_name(self, logical_id: str) -> str:
        spec = self.template["Resources"][logical_id]
        if spec["Type"] == "AWS::S3::Bucket":
            return logical_id.lower()
        if spec["Type"] == "AWS::StepFunctions::StateMachine":
            return str(self.resolve(spec["Properties"].get("StateMachineName", logical_id)))
        if spec["Type"] == "AWS::SSM::Parameter":
            return str(self.resolve(spec["Properties"]["Name"]))
        return logical_id

    def ref(self, logical_id: str) -> str:
        if logical_id in self.parameter_values:
            return str(self.parameter_values[logical_id])
        kind = self.template["Resources"][logical_id]["Type"]
        name = self.physical_name(logical_id)
        by_arn = {
            "AWS::SecretsManager::Secret", "AWS::SNS::Topic", "AWS::StepFunctions::StateMachine",
            "AWS::Lambda::LayerVersion",
        }  # fmt: skip
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        if kind in by_arn:
            return self.get_att(logical_id, "Arn")
        return name

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.template["Resources"][logical_id]["Type"]
        name = self.physical_name(logical_id)
        if attribute in ("QueueName", "Name", "TableName"):
            return name
        arns = {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}",
            # Secrets Manager appends six random characters to the name.
            "AWS::SecretsManager::Secret": (
                f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbC123"
            ),
            "AWS::StepFunctions::StateMachine": (
                f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
            ),
            "AWS::Lambda::LayerVersion": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1",
        }
        if attribute == "Arn" and logical_id in self.arns:
            return self.arns[logical_id]
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        return f"{name}.{attribute}"  # attributes no policy or environment depends on

    # ---- intrinsics ----
    def resolve(self, value: Any) -> Any:
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _INTRINSICS.get(key)
            if function is not None:
                return function(self, argument)
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _pseudo(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "watchnext-test",
            "AWS::NoValue": _NO_VALUE,
        }  # fmt: skip
        return pseudo[name] if name in pseudo else self.ref(name)

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self._resolve(item) for name, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self._pseudo(name))

        return re.sub(r"\$\{([^}!][^}]*)\}", substitute, text)

    def _if(self, argument: list[Any]) -> Any:
        name, when_true, when_false = argument
        return self._resolve(when_true if self.conditions[name] else when_false)


def _get_att(stack: Stack, argument: Any) -> str:
    logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return stack.get_att(logical_id, str(stack._resolve(attribute)))


def _condition(stack: Stack, name: str) -> bool:
    if name not in stack.conditions:
        stack.conditions[name] = bool(stack.resolve(stack.template["Conditions"][name]))
    return stack.conditions[name]


_INTRINSICS: dict[str, Any] = {
    "Ref": lambda stack, name: stack._pseudo(name),
    "Fn::Sub": lambda stack, argument: stack._sub(argument),
    "Fn::GetAtt": _get_att,
    "Fn::If": lambda stack, argument: stack._if(argument),
    "Fn::Select": lambda stack, argument: stack._resolve(argument[1])[int(argument[0])],
    "Fn::Split": lambda stack, argument: str(stack._resolve(argument[1])).split(argument[0]),
    "Fn::Join": lambda stack, argument: argument[0].join(
        str(item) for item in stack._resolve(argument[1])
    ),
    "Fn::Equals": lambda stack, argument: (
        stack._resolve(argument[0]) == stack._resolve(argument[1])
    ),
    "Fn::Not": lambda stack, argument: not stack._resolve(argument[0]),
    "Fn::And": lambda stack, argument: all(stack._resolve(item) for item in argument),
    "Fn::Or": lambda stack, argument: any(stack._resolve(item) for item in argument),
    "Condition": _condition,
}
