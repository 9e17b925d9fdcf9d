"""``bgremove start`` / ``status`` against moto, running the definition the stack deploys.

The commands run the document ``BatchStateMachine`` builds (workflow/constructs/state_machine.py)
with the stack's settings; two slow tests synthesize the stack: one checks that its
DefinitionString is that document, the other replays IAM against its policies.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image, ImageDraw

from cli import aws
from cli.commands.estimate import estimate_command
from cli.commands.start import start_command
from cli.commands.status import status_command
from tests.fixtures.events import describe_stacks
from workflow.config import StackConfig, workflow_settings
from workflow.definition import FUNCTIONS, build_definition
from workflow.local_engine import function_arn

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
#: What the stack deploys, with moto-side function ARNs (as ``BatchStateMachine`` builds it).
STACK_DEFINITION = build_definition(
    {name: function_arn(name) for name in FUNCTIONS}, workflow_settings(StackConfig())
)
LOGICAL_TO_FUNCTION = {
    "FunctionsPlan": "plan",
    "FunctionsValidate": "validate",
    "FunctionsResize": "resize",
    "FunctionsRemoveBackground": "remove_background",
    "FunctionsStore": "store",
    "FunctionsRecordFailure": "record_failure",
    "FunctionsReport": "report",
}


@pytest.fixture(scope="module")
def template() -> dict:
    """The synthesized stack's CloudFormation template."""
    import aws_cdk as cdk  # imported here: the fast tests never synthesize
    from aws_cdk.assertions import Template

    from workflow.stack import BgRemoveStack

    app = cdk.App()
    stack = BgRemoveStack(
        app,
        "BgRemoveStack",
        config=StackConfig(),
        bundle_dependencies=False,
        env=cdk.Environment(account="123456789012", region="us-east-1"),
    )
    return Template.from_stack(stack).to_json()


@pytest.fixture(scope="module")
def synthesized_definition(template) -> str:
    """The stack's DefinitionString with each function's GetAtt replaced by a moto-side ARN.

    ``AWS::Partition`` (the service integrations' partition) resolves to moto's ``aws``.
    """
    machine = next(
        resource
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and "Workflow" in logical
    )
    parts = []
    for part in machine["Properties"]["DefinitionString"]["Fn::Join"][1]:
        if isinstance(part, str) or part == {"Ref": "AWS::Partition"}:
            parts.append(part if isinstance(part, str) else "aws")
            continue
        logical = part["Fn::GetAtt"][0]
        name = next(fn for prefix, fn in LOGICAL_TO_FUNCTION.items() if logical.startswith(prefix))
        parts.append(function_arn(name))
    return "".join(parts)


def deploy(local_aws, definition: str | dict) -> tuple:
    """The local AWS with ``definition`` as the stack's state machine, and the stack's outputs;
    the S3 client and the clients the CLI commands take."""
    arn = local_aws.create_state_machine("bgremove-batch", definition)
    # The stack's outputs as DescribeStacks returns them (moto's CloudFormation would
    # need moto's API Gateway extras for this one call).
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(cloudformation)
    answer = describe_stacks({"BucketName": "bgremove-batch", "StateMachineArn": arn})
    for _ in range(3):  # one DescribeStacks per `start`
        stubber.add_response("describe_stacks", answer, {"StackName": "BgRemoveStack"})
    stubber.activate()
    return local_aws.s3, (cloudformation, local_aws.sfn)


@pytest.fixture
def deployed(local_aws):
    return deploy(local_aws, STACK_DEFINITION)


@pytest.fixture
def deployed_from_template(local_aws, synthesized_definition):
    return deploy(local_aws, synthesized_definition)


@pytest.mark.slow  # synthesizes the stack
def test_the_stack_deploys_the_definition_these_tests_run(synthesized_definition):
    assert json.loads(synthesized_definition) == STACK_DEFINITION


def upload_photos(s3, count=3):
    for index in range(count):
        image = Image.new("RGB", (120, 90), (235, 235, 235))
        ImageDraw.Draw(image).ellipse((30, 20, 90, 70), fill=(200, 40, 40))
        path = Path(f"/tmp/cloud_test_{index}.png")
        image.save(path)
        s3.upload_file(str(path), "bgremove-batch", f"inputs/shop/p{index}.png")
    s3.put_object(Bucket="bgremove-batch", Key="inputs/shop/readme.txt", Body=b"notes")


def args(**values):
    base = {
        "stack": "BgRemoveStack",
        "region": "us-east-1",
        "wait": True,
        "prefix": None,
        "manifest": None,
    }
    return argparse.Namespace(**{**base, **values})


def test_start_waits_and_prints_the_presigned_report(deployed, capsys):
    s3, cli_clients = deployed
    upload_photos(s3)
    code = start_command(
        args(prefix="s3://bgremove-batch/inputs/shop/"), clients=cli_clients, poll=0.05
    )
    out = capsys.readouterr().out
    assert code == 1  # readme.txt is not an image
    assert "Done: 3 succeeded, 1 failed" in out
    report_url = out.split("Report: ")[1].strip()
    assert "X-Amz-Signature" in report_url and "index.html" in report_url
    assert (
        s3.head_object(Bucket="bgremove-batch", Key="outputs/shop/p0_bg_removed.png")[
            "ContentLength"
        ]
        > 0
    )
    execution = out.split("Started ")[1].split()[0]
    assert status_command(argparse.Namespace(execution_arn=execution), clients=cli_clients) == 1
    assert "SUCCEEDED" in capsys.readouterr().out


def test_a_bad_manifest_is_refused_with_exit_2(deployed, capsys):
    s3, cli_clients = deployed
    s3.put_object(
        Bucket="bgremove-batch", Key="manifests/bad.json", Body=b'["inputs/a.png", "../x"]'
    )
    code = start_command(
        args(manifest="s3://bgremove-batch/manifests/bad.json"), clients=cli_clients, poll=0.05
    )
    assert code == 2
    assert "index 1" in capsys.readouterr().err


def test_estimate_prints_a_table(capsys, tmp_path):
    assert estimate_command(argparse.Namespace(source=None, count=1000, model="stability")) == 0
    out = capsys.readouterr().out
    assert "Bedrock model" in out and "$    70.0000" in out
    lines = {
        line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()
    }
    bedrock = float(lines["Bedrock"].split("$")[1].split()[0].replace(",", ""))
    total = float(lines["total"].split("$")[1].split()[0].replace(",", ""))
    assert (total - bedrock) / bedrock <= 0.02  # everything but the model: ≤ 2 % of it


def test_status_links_re_signs_the_report_with_the_caller_s_credentials(deployed, capsys, tmp_path):
    s3, cli_clients = deployed
    upload_photos(s3, count=2)
    start_command(args(prefix="s3://bgremove-batch/inputs/shop/"), clients=cli_clients, poll=0.05)
    execution = capsys.readouterr().out.split("Started ")[1].split()[0]
    out = tmp_path / "fresh"
    status = argparse.Namespace(
        execution_arn=execution, links=True, expires=7200, out=out, region="us-east-1"
    )
    assert status_command(status, clients=cli_clients) == 1  # readme.txt failed
    printed = capsys.readouterr().out
    assert f"{out / 'index.html'}" in printed
    report = json.loads((out / "report.json").read_text())
    cutout = next(item for item in report["items"] if item["status"] == "succeeded")
    assert "X-Amz-Expires=7200" in cutout["url"] and "X-Amz-Signature" in cutout["url"]
    assert report["links_expire_at"] and "work until" in (out / "index.html").read_text()
    too_long = argparse.Namespace(
        execution_arn=execution, links=True, expires=10**7, out=out, region="us-east-1"
    )
    assert aws.answering(status_command)(too_long, clients=cli_clients) == 2
    assert "--expires must be between 1 and 604800" in capsys.readouterr().err


def test_links_never_outlive_the_credentials_that_sign_them():
    from datetime import UTC, datetime, timedelta

    from botocore.credentials import Credentials, RefreshableCredentials

    from lambdas import storage

    class Signed:
        def __init__(self, credentials):
            self._request_signer = argparse.Namespace(_credentials=credentials)

    long_term = Credentials("AKIA", "secret")
    assert storage.link_lifetime(Signed(long_term), 604_800) == 604_800
    lambda_session = Credentials("ASIA", "secret", token="session")  # expiry unknown
    assert storage.link_lifetime(Signed(lambda_session), 86_400) == 3600
    ends_soon = RefreshableCredentials(
        "ASIA",
        "secret",
        "token",
        datetime.now(UTC) + timedelta(minutes=20),
        refresh_using=lambda: {},
        method="sts-assume-role",
    )
    assert 1000 < storage.link_lifetime(Signed(ends_soon), 86_400) <= 20 * 60


@pytest.mark.slow  # synthesizes the stack
def test_iam_replay_every_call_a_function_makes_is_allowed_by_its_policy(
    deployed_from_template, template, capsys
):
    """The batch on moto (prefix, manifest, skip_done, failures), each handler's S3 calls
    judged by the policy the template gives that function."""
    from tests import iam_replay

    s3, cli_clients = deployed_from_template
    upload_photos(s3)
    s3.put_object(
        Bucket="bgremove-batch",
        Key="manifests/m.json",
        Body=json.dumps(["inputs/shop/p0.png", "inputs/shop/p1.png", "inputs/shop/p0.png"]),
    )
    with iam_replay.record() as recording:
        for request in (
            args(prefix="s3://bgremove-batch/inputs/shop/"),
            args(manifest="s3://bgremove-batch/manifests/m.json"),
            args(prefix="s3://bgremove-batch/inputs/shop/", skip_done=True),
        ):
            start_command(request, clients=cli_clients, poll=0.05)
    policies = iam_replay.policies_by_function(template, LOGICAL_TO_FUNCTION)
    assert set(policies) == set(LOGICAL_TO_FUNCTION.values())
    assert recording.unknown == []
    called = {(request.function, request.action) for request in recording.calls}
    assert ("plan", "s3:ListBucket") in called and ("store", "s3:PutObject") in called
    assert iam_replay.denied(recording.calls, policies) == []
    # And the judge can say no: without Plan's statements, Plan's calls are denied.
    assert {r.function for r in iam_replay.denied(recording.calls, {**policies, "plan": []})} == {
        "plan"
    }
    print("granted but never used in this replay:", iam_replay.unused(recording.calls, policies))


def test_output_options_from_a_manifest_item_on_the_aws_engine(deployed, capsys):
    """The same Store step as a local run: a manifest item's mask and crop on AWS."""
    import io

    s3, cli_clients = deployed
    upload_photos(s3, count=2)
    document = {
        "items": [
            {"source": "inputs/shop/p0.png", "options": {"mask": True}},
            {"source": "inputs/shop/p1.png", "options": {"crop": True}},
        ]
    }
    s3.put_object(Bucket="bgremove-batch", Key="manifests/o.json", Body=json.dumps(document))
    code = start_command(
        args(manifest="s3://bgremove-batch/manifests/o.json"), clients=cli_clients, poll=0.05
    )
    assert code == 0, capsys.readouterr()
    mask = s3.get_object(Bucket="bgremove-batch", Key="outputs/shop/p0_mask.png")["Body"].read()
    assert Image.open(io.BytesIO(mask)).mode == "L"
    cropped = s3.get_object(Bucket="bgremove-batch", Key="outputs/shop/p1_bg_removed.png")
    assert Image.open(io.BytesIO(cropped["Body"].read())).size < (120, 90)
