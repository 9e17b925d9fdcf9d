"""IAM replay: the AWS calls each Lambda really makes, judged by the template's policy.

moto allows every call. This records each call a handler makes while the real
definition runs on moto (which function, service, operation, parameters), turns it
into the IAM action, resource ARN and condition keys AWS would evaluate, and checks
it against the policies the synthesized template attaches to that function's role.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.client

from workflow import local_engine, moto_workarounds
from workflow.definition import FUNCTIONS

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"

# operation → (IAM action, how the resource is named)
S3_ACTIONS = {
    "GetObject": ("s3:GetObject", "object"),
    "HeadObject": ("s3:GetObject", "object"),
    "PutObject": ("s3:PutObject", "object"),
    "ListObjectsV2": ("s3:ListBucket", "bucket"),
}


@dataclass(frozen=True)
class Request:
    """One authorisation request: what IAM evaluates for one API call."""

    function: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


@dataclass
class Recording:
    calls: list[Request] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # calls this module cannot map yet


_current = threading.local()


@contextmanager
def record() -> Iterator[Recording]:
    """Record every botocore call made while a Lambda handler runs in the local engine."""
    recording = Recording()
    original_call = botocore.client.BaseClient._make_api_call
    router = moto_workarounds.lambda_router()
    names = {local_engine.function_arn(name): name for name in FUNCTIONS}

    def invoke(function: str, payload: bytes):
        _current.function = names.get(function)
        try:
            return router(function, payload)
        finally:
            _current.function = None

    def call(client, operation, params):
        function = getattr(_current, "function", None)
        if function is not None:
            service = client.meta.service_model.service_name
            requests = authorisation(function, service, operation, params)
            if requests is None:
                recording.unknown.append(f"{function}: {service}.{operation}")
            else:
                recording.calls.extend(requests)
        return original_call(client, operation, params)

    if router is None:
        raise RuntimeError("record() wraps the local engine's Lambda router: install it first")
    botocore.client.BaseClient._make_api_call = call
    moto_workarounds.route_lambda(invoke)
    try:
        yield recording
    finally:
        botocore.client.BaseClient._make_api_call = original_call
        moto_workarounds.route_lambda(router)


def authorisation(
    function: str, service: str, operation: str, params: dict
) -> list[Request] | None:
    """What IAM evaluates for one call (``None``: not mapped here)."""
    if service == "s3" and operation in S3_ACTIONS:
        action, kind = S3_ACTIONS[operation]
        bucket = params["Bucket"]
        if kind == "object":
            return [Request(function, action, f"arn:{PARTITION}:s3:::{bucket}/{params['Key']}")]
        prefix = params.get("Prefix", "")
        return [
            Request(function, action, f"arn:{PARTITION}:s3:::{bucket}", (("s3:prefix", prefix),))
        ]
    if service == "bedrock" and operation == "GetFoundationModel":
        model = params["modelIdentifier"]
        arn = f"arn:{PARTITION}:bedrock:{REGION}::foundation-model/{model}"
        return [Request(function, "bedrock:GetFoundationModel", arn)]
    if service == "bedrock" and operation == "GetFoundationModelAvailability":
        return [Request(function, "bedrock:GetFoundationModelAvailability", "*")]
    return None


# --- The template's side -------------------------------------------------------------


def resolve(value: Any, names: dict[str, str]) -> Any:
    """CloudFormation intrinsics to strings, with logical ids named by ``names``."""
    if isinstance(value, list):
        return [resolve(part, names) for part in value]
    if not isinstance(value, dict):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(part, names)) for part in parts)
    if "Ref" in value:
        pseudo = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
        return pseudo.get(value["Ref"]) or names.get(value["Ref"], value["Ref"])
    if "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        return names.get(f"{logical}.{attribute}", f"<{logical}.{attribute}>")
    return {key: resolve(item, names) for key, item in value.items()}


def policies_by_function(template: dict, functions: dict[str, str]) -> dict[str, list[dict]]:
    """Each function's Allow statements, resolved; ``functions`` maps logical-id prefixes."""
    resources = template["Resources"]
    names = {}
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::S3::Bucket" and logical.startswith("StorageBatch"):
            names[logical] = "bgremove-batch"
            names[f"{logical}.Arn"] = f"arn:{PARTITION}:s3:::bgremove-batch"
    statements: dict[str, list[dict]] = {}
    for logical, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        function = next((f for p, f in functions.items() if logical.startswith(p)), None)
        if function is None:
            continue
        role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        found = statements.setdefault(function, [])
        for policy in resources.values():
            if (
                policy["Type"] == "AWS::IAM::Policy"
                and {"Ref": role} in policy["Properties"]["Roles"]
            ):
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    if statement.get("Effect") == "Allow":
                        found.append(resolve(statement, names))
    return statements


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def allows(statement: dict, request: Request) -> bool:
    actions = _listed(statement.get("Action", []))
    if not any(fnmatch.fnmatchcase(request.action, pattern) for pattern in actions):
        return False
    if not any(
        fnmatch.fnmatchcase(request.resource, pattern)
        for pattern in _listed(statement.get("Resource", []))
    ):
        return False
    context = dict(request.context)
    for operator, tests in statement.get("Condition", {}).items():
        for key, wanted in tests.items():
            have = context.get(key)
            if have is None:
                return False
            if operator == "StringLike":
                if not any(fnmatch.fnmatchcase(have, p) for p in _listed(wanted)):
                    return False
            elif operator == "StringEquals":
                if have not in _listed(wanted):
                    return False
            else:
                return False  # an operator this replay does not know: deny, as a test should
    return True


def denied(requests: list[Request], policies: dict[str, list[dict]]) -> list[Request]:
    """The requests no Allow statement of their function's policy covers."""
    return [
        request
        for request in dict.fromkeys(requests)
        if not any(allows(statement, request) for statement in policies.get(request.function, []))
    ]


def unused(requests: list[Request], policies: dict[str, list[dict]]) -> list[str]:
    """Granted (function, action) pairs no recorded call used."""
    used = {(request.function, request.action) for request in requests}
    granted = {
        (function, action)
        for function, statements in policies.items()
        for statement in statements
        for action in _listed(statement.get("Action", []))
    }
    return sorted(f"{function}: {action}" for function, action in granted - used)
