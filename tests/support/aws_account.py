"""A test AWS account that is as strict as AWS: every boto3 client created while it is open
answers as its caller's role from template.yaml allows.

* **IAM**: each call is authorized (`tests.support.iam`) for the principal that created the
  client (`acting_as`: a function or state machine of template.yaml; clients created outside
  it belong to the test itself and are not restricted). A denied call gets AccessDenied, as on
  AWS, and becomes a finding that fails the test naming the action, the ARN and the statement.
* **S3**: ``GetObject``/``HeadObject`` of a missing key answers 403 AccessDenied, not 404,
  when the caller may not ``s3:ListBucket`` the bucket.
* **Stubbed services** (Personalize, Pinpoint, SES v2): a client created after `expect` named
  its service gets a botocore Stubber fed from those expectations (code under test builds its
  own clients), or, after `answer_with`, a responder that computes each answer from the call
  (for tests that make many calls, like the parity suite); calls to any client of these
  services that break the service's documented limits (`tests.support.service_rules`) are
  refused with its error and become findings.

Clients are found as botocore creates them (the ``creating-client-class`` event, the hook
boto3 itself uses to add methods to clients), so code under test builds its own clients.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
from botocore import handlers
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from tests.support.iam import (
    Principal,
    Request,
    evaluate,
    principal,
    requests_for,
    resource_policies,
)
from tests.support.service_rules import FAKED_SERVICES, PersonalizeState, violations
from tests.support.stack import Stack

Responder = Callable[[str, Mapping[str, Any]], dict[str, Any]]
STUBBED_SERVICES = frozenset(
    {"personalize", "personalize-events", "personalize-runtime", "pinpoint", "sesv2"}
)


class AwsAccount:
    def __init__(self, stack: Stack | None = None) -> None:
        self.stack = stack or Stack()
        self.personalize = PersonalizeState(readable=self._personalize_may_read)
        self.findings: list[str] = []
        self._principals: dict[str, Principal] = {}
        self._bucket_policies = resource_policies(self.stack)
        self._local = threading.local()
        self._pending: dict[str, list[tuple[str, Any, Any]]] = defaultdict(list)
        self._stubbers: dict[str, list[Stubber]] = defaultdict(list)
        self._queues: dict[str, Any] = {}
        self._responders: dict[str, Responder] = {}
        self.containers: dict[str, Any] = {}
        """Each function's handler module as its (one) warm container imported it."""
        self._lock = threading.Lock()

    # ---- who is calling ----
    def principal(self, logical_id: str) -> Principal:
        if logical_id not in self._principals:
            self._principals[logical_id] = principal(self.stack, logical_id)
        return self._principals[logical_id]

    @contextmanager
    def acting_as(self, logical_id: str | None) -> Iterator[None]:
        """Clients created inside the block (on this thread) call as ``logical_id``'s role."""
        previous = getattr(self._local, "principal", None)
        self._local.principal = self.principal(logical_id) if logical_id else None
        try:
            yield
        finally:
            self._local.principal = previous

    def client(self, service: str, logical_id: str) -> Any:
        with self.acting_as(logical_id):
            return boto3.session.Session(region_name="us-east-1").client(service)  # type: ignore[call-overload]

    # ---- the stubbed services ----
    def expect(
        self,
        service: str,
        method: str,
        response: Mapping[str, Any],
        expected_params: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue a response for the next ``method`` call on any ``service`` client."""
        with self._lock:
            stubbers = self._stubbers[service]
            if stubbers:
                stubbers[-1].add_response(method, dict(response), expected_params)
            else:
                self._pending[service].append(("response", method, (response, expected_params)))

    def answer_with(self, service: str, responder: Responder) -> None:
        """Answer every call on ``service`` clients created from now on with ``responder``
        (operation name, parameters → the parsed response), after botocore has validated the
        parameters and the account has authorized them and checked the service's limits."""
        self._responders[service] = responder

    def expect_error(self, service: str, method: str, code: str, status: int = 400) -> None:
        with self._lock:
            stubbers = self._stubbers[service]
            if stubbers:
                stubbers[-1].add_client_error(method, code, http_status_code=status)
            else:
                self._pending[service].append(("error", method, (code, status)))

    def stubber(self, service: str) -> Stubber:
        """The Stubber of the latest ``service`` client."""
        return self._stubbers[service][-1]

    def assert_no_pending_responses(self) -> None:
        left = {s: len(p) for s, p in self._pending.items() if p}
        left |= {s: len(q) for s, q in self._queues.items() if q}
        assert not left, f"expected calls never made (no client was created): {left}"
        for stubbers in self._stubbers.values():
            for stubber in stubbers:
                stubber.assert_no_pending_responses()

    def _personalize_may_read(self, bucket: str, key: str) -> bool:
        """What the template's PersonalizeRole and the bucket's policy let it read."""
        request = Request("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")
        role = self.principal("PersonalizeRole")
        policies = self._bucket_policies.get(f"arn:aws:s3:::{bucket}", [])
        return evaluate(role.statements, request, policies).allowed

    # ---- verdict ----
    def assert_allowed(self) -> None:
        """Fail with every call AWS would have refused."""
        assert not self.findings, "calls AWS would refuse:\n  " + "\n  ".join(self.findings)

    def authorize(self, caller: Principal, requests: list[Request]) -> str | None:
        """The first refusal among ``requests`` (recorded as a finding), or None."""
        for request in requests:
            bucket = request.resource.split("/", 1)[0] if request.action.startswith("s3:") else ""
            decision = evaluate(caller.statements, request, self._bucket_policies.get(bucket, []))
            if not decision.allowed:
                finding = (
                    f"{caller.name} (role {caller.role}) is denied {request.action} on "
                    f"{request.resource}: {decision.reason}"
                )
                self._note(finding)
                return finding
        return None

    def refuse(self, service: str, operation: str, problems: list[str]) -> str:
        finding = f"{service}.{operation} would be refused by the service: {'; '.join(problems)}"
        self._note(finding)
        return finding

    def _note(self, finding: str) -> None:
        with self._lock:
            if finding not in self.findings:
                self.findings.append(finding)

    # ---- botocore hooks ----
    @contextmanager
    def opened(self) -> Iterator[AwsAccount]:
        account = self

        class Hooked:
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                account._hook(self)

        def inject(base_classes: list[type], **_kwargs: Any) -> None:
            base_classes.insert(0, Hooked)

        entry = ("creating-client-class", inject)
        handlers.BUILTIN_HANDLERS.append(entry)
        boto3.DEFAULT_SESSION = None  # sessions made from now on carry the hook
        try:
            yield self
        finally:
            handlers.BUILTIN_HANDLERS.remove(entry)
            boto3.DEFAULT_SESSION = None

    def _hook(self, client: Any) -> None:
        caller: Principal | None = getattr(self._local, "principal", None)
        service = client.meta.service_model.service_name
        events = client.meta.events
        events.register_first("before-parameter-build", _keep_params)
        events.register_first("before-call.*.*", self._before_call(caller, service))
        if caller is not None and service == "s3":
            for operation in ("GetObject", "HeadObject"):
                events.register(f"after-call.s3.{operation}", self._missing_key(caller))
        if service in STUBBED_SERVICES and service in self._responders:
            events.register(f"before-call.{service}.*", _answering(self._responders[service]))
        elif service in STUBBED_SERVICES and service in self._pending:
            stubber = Stubber(client)
            # One queue per service, shared by its clients: an expectation is for the next
            # call of that service, whichever client code builds for it (Stubber's own queue).
            stubber._queue = self._queues.setdefault(service, stubber._queue)  # type: ignore[attr-defined]
            stubber.activate()
            with self._lock:
                for kind, method, args in self._pending[service]:
                    if kind == "response":
                        stubber.add_response(method, dict(args[0]), args[1])
                    else:
                        stubber.add_client_error(method, args[0], http_status_code=args[1])
                self._pending[service] = []
                self._stubbers[service].append(stubber)

    def _before_call(self, caller: Principal | None, service: str) -> Any:
        def check(model: Any, context: dict[str, Any], **_kwargs: Any) -> Any:
            params = context.get("watchnext_params", {})
            if caller is not None:
                finding = self.authorize(caller, requests_for(service, model.name, params))
                if finding:
                    return _error(403, "AccessDeniedException", finding)
            if service in FAKED_SERVICES:
                problems = violations(
                    self.personalize, service, model.name, params, model.input_shape
                )
                if problems:
                    return _error(
                        400, "InvalidInputException", self.refuse(service, model.name, problems)
                    )
            return None

        return check

    def _missing_key(self, caller: Principal) -> Any:
        def rewrite(
            http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
        ) -> None:
            if parsed.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                return
            bucket = context["watchnext_params"]["Bucket"]
            listing = Request("s3:ListBucket", f"arn:aws:s3:::{bucket}")
            if evaluate(caller.statements, listing).allowed:
                return
            key = context["watchnext_params"]["Key"]
            self._note(
                f"{caller.name} (role {caller.role}) read the missing key s3://{bucket}/{key} "
                f"without s3:ListBucket on arn:aws:s3:::{bucket}: S3 answers 403 AccessDenied, "
                "not 404 NoSuchKey"
            )
            parsed["Error"] = {"Code": "AccessDenied", "Message": "Access Denied"}
            parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = 403
            http_response.status_code = 403

        return rewrite


def _answering(responder: Responder) -> Any:
    def answer(model: Any, context: dict[str, Any], **_kwargs: Any) -> Any:
        parsed = responder(model.name, context.get("watchnext_params", {}))
        return AWSResponse("https://aws.test", 200, {}, None), parsed  # type: ignore[arg-type]

    return answer


def _keep_params(params: Mapping[str, Any], context: dict[str, Any], **_kwargs: Any) -> None:
    context["watchnext_params"] = dict(params)


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return AWSResponse("https://aws.test", status, {}, None), parsed  # type: ignore[arg-type]
