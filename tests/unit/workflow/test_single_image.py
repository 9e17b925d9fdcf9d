"""The tutorial's request, on moto: the single-image definition with the real handlers."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws
from PIL import Image, ImageDraw

from lambdas import clients
from workflow import moto_workarounds
from workflow.definition import FUNCTIONS, build_single_image_definition
from workflow.local_engine import LambdaInvoker, Progress, _environment, function_arn


@pytest.fixture
def single_image():
    moto_workarounds.apply()
    env = {
        "BGREMOVE_BUCKET": "bgremove-batch",
        "BGREMOVE_ENGINE": "aws",
        # The AWS engine runs Bedrock models only: rehearse on the simulated one.
        "BGREMOVE_MODEL": "stability",
        "BGREMOVE_SIMULATE": "seed=1",
    }
    with _environment(env), mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients.reset()
        moto_workarounds.reset_clients()
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bgremove-batch")
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        definition = build_single_image_definition({name: function_arn(name) for name in FUNCTIONS})
        # Same document as the deployed Express machine; moto runs it as Standard.
        arn = sfn.create_state_machine(
            name="single",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]
        moto_workarounds.route_lambda(LambdaInvoker(Progress()).invoke)
        try:
            yield s3, sfn, arn
        finally:
            moto_workarounds.route_lambda(None)
            moto_workarounds.reset_clients()
            clients.reset()


def run(sfn, arn, payload):
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    for _ in range(600):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("did not finish")


def test_input_key_gives_the_cutouts_presigned_url(single_image, tmp_path):
    s3, sfn, arn = single_image
    image = Image.new("RGB", (160, 120), (235, 235, 235))
    ImageDraw.Draw(image).ellipse((40, 30, 120, 90), fill=(20, 120, 60))
    image.save(tmp_path / "cat.png")
    s3.upload_file(str(tmp_path / "cat.png"), "bgremove-batch", "inputs/cat.png")
    described = run(sfn, arn, {"input_key": "inputs/cat.png"})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert "outputs/cat_bg_removed.png" in output["output_url"]
    assert "X-Amz-Expires=3600" in output["output_url"]  # the tutorial's one hour


def test_missing_key_fails_with_the_tutorials_message(single_image):
    _, sfn, arn = single_image
    described = run(sfn, arn, {"input_key": "inputs/nonexistent.png"})
    assert described["status"] == "FAILED"
    assert described["error"] == "SourceNotFoundError"
    assert json.loads(described["cause"])["errorMessage"] == (
        "S3 object 'inputs/nonexistent.png' does not exist in bucket 'bgremove-batch'"
    )
