"""``bgremove start`` / ``status``: flags, AWS set-up problems and Map Run errors, without AWS."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cli.commands.start import start_command
from cli.commands.status import status_command
from cli.main import build_parser
from tests.fixtures.events import describe_stacks

ROOT = Path(__file__).resolve().parents[3]
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:bgremove-batch:r1"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:bgremove-batch"


class FakeStepFunctions:
    """Answers like the Step Functions client, with a Map Run that can fail or be unreadable."""

    def __init__(self, *, map_run: dict | None = None, map_run_error: Exception | None = None):
        self.map_run = map_run
        self.map_run_error = map_run_error
        self.started: list[dict] = []

    def start_execution(self, **request):
        self.started.append(request)
        return {"executionArn": EXECUTION}

    def describe_execution(self, executionArn):  # noqa: N803
        summary = {"counts": {"total": 2, "succeeded": 1, "failed": 1}, "report_url": "https://r"}
        return {"name": "r1", "status": "SUCCEEDED", "output": json.dumps(summary)}

    def list_map_runs(self, executionArn):  # noqa: N803
        if self.map_run_error:
            raise self.map_run_error
        return {"mapRuns": [{"mapRunArn": "arn:map-run"}] if self.map_run else []}

    def describe_map_run(self, mapRunArn):  # noqa: N803
        return self.map_run


def stack(outputs=None, *, missing=False):
    cloudformation = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(cloudformation)
    if missing:
        stubber.add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message="Stack with id BgRemoveStack does not exist",
        )
    else:
        outputs = outputs if outputs is not None else {"StateMachineArn": MACHINE}
        stubber.add_response("describe_stacks", describe_stacks(outputs))
    stubber.activate()
    return cloudformation


def start_args(*argv):
    return build_parser().parse_args(["start", "--prefix", "s3://b/inputs/", *argv])


def test_skip_done_is_a_registered_flag_and_reaches_the_request():
    sfn = FakeStepFunctions()
    args = start_args("--skip-done")
    assert args.skip_done is True
    assert args.func(args, clients=(stack(), sfn)) == 0
    assert json.loads(sfn.started[0]["input"]) == {
        "prefix": "s3://b/inputs/",
        "options": {"skip_done": True},
    }
    assert start_args().skip_done is False


def test_a_missing_stack_is_one_line_and_exit_2(capsys):
    args = start_args()
    assert args.func(args, clients=(stack(missing=True), FakeStepFunctions())) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stack 'BgRemoveStack' not found" in err


def test_a_stack_without_the_state_machine_output_is_one_line_and_exit_2(capsys):
    args = start_args()
    assert args.func(args, clients=(stack({"BucketName": "b"}), FakeStepFunctions())) == 2
    assert "has no StateMachineArn output" in capsys.readouterr().err


def test_missing_credentials_are_one_line_and_exit_2(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "start", "--prefix", "s3://b/inputs/"]
        + ["--region", "us-east-1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "bgremove: no AWS credentials found: configure them (aws configure, AWS_PROFILE or "
        "AWS_ACCESS_KEY_ID) and try again"
    ]


def test_a_failed_map_run_is_reported_while_waiting(capsys):
    map_run = {
        "mapRunArn": "arn:map-run",
        "status": "FAILED",
        "itemCounts": {"total": 2, "succeeded": 1, "failed": 1, "aborted": 0, "timedOut": 0},
    }
    sfn = FakeStepFunctions(map_run=map_run)
    assert start_command(start_args("--wait"), clients=(stack(), sfn), poll=0) == 1
    err = capsys.readouterr().err
    assert "the Map Run failed (1 failed, 0 aborted, 0 timed out of 2 items): arn:map-run" in err


def test_an_unreadable_map_run_is_reported_once(capsys):
    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "ListMapRuns"
    )
    sfn = FakeStepFunctions(map_run_error=denied)
    status = argparse.Namespace(execution_arn=EXECUTION, stack="BgRemoveStack", region=None)
    assert status_command(status, clients=(None, sfn)) == 1
    err = capsys.readouterr().err
    assert err.count("cannot read the Map Run's progress") == 1 and "not allowed" in err
