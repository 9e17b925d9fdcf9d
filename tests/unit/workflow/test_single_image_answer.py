"""The single-image answer workflow on moto, driving the real image run and handlers.

moto 5.2.5 runs the answer's Choice, Wait, Pass (intrinsics) and Catch states, but its
optimized ``states:startExecution`` and ``aws-sdk:sfn:describeExecution`` integrations
fail on the documented PascalCase parameters (``KeyError: 'StateMachineArn'``). So this
test gives those two Tasks stand-in Lambda ARNs whose router calls moto's Step Functions
API with the same parameters and answers in the same shape (and with the same error
names) as the AWS integrations; everything else is the document CDK deploys.
"""

from __future__ import annotations

import copy
import json
import threading

import pytest
from PIL import Image, ImageDraw

from workflow.definition import FUNCTIONS, build_single_image_definition
from workflow.local_engine import LambdaInvoker, function_arn
from workflow.single_image_api import SyncBudget, build_answer_definition

START = "arn:aws:lambda:us-east-1:123456789012:function:stand-in-sfn-startExecution"
DESCRIBE = "arn:aws:lambda:us-east-1:123456789012:function:stand-in-sfn-describeExecution"
INTEGRATIONS = {
    "arn:aws:states:::states:startExecution": START,
    "arn:aws:states:::aws-sdk:sfn:describeExecution": DESCRIBE,
}


def with_stand_ins(definition: dict) -> dict:
    """``definition`` with its two Step Functions integrations pointed at the stand-ins."""
    copied = copy.deepcopy(definition)
    for state in copied["States"].values():
        if state.get("Resource") in INTEGRATIONS:
            state["Resource"] = INTEGRATIONS[state["Resource"]]
    assert sum(s.get("Resource") in (START, DESCRIBE) for s in copied["States"].values()) == 2
    return copied


class Router:
    """Our handlers for the image run's Lambdas; moto's API for the two integrations."""

    def __init__(self, sfn, invoker: LambdaInvoker) -> None:
        self.sfn = sfn
        self.invoker = invoker
        self.hold_store = threading.Event()
        self.hold_store.set()

    def __call__(self, function: str, payload: bytes):
        event = json.loads(payload or b"{}")
        if function == START:
            started = self.sfn.start_execution(
                stateMachineArn=event["StateMachineArn"],
                name=event["Name"],
                input=json.dumps(event["Input"]),
            )
            return {"ExecutionArn": started["executionArn"]}, None
        if function == DESCRIBE:
            return self._describe(event["ExecutionArn"])
        if function == function_arn("store"):
            self.hold_store.wait(60)  # lets a test keep the image run working
        return self.invoker.invoke(function, payload)

    def _describe(self, arn: str):
        try:
            described = self.sfn.describe_execution(executionArn=arn)
        except self.sfn.exceptions.ExecutionDoesNotExist as error:
            return _sdk_error("Sfn.ExecutionDoesNotExistException", error)
        except self.sfn.exceptions.InvalidArn as error:
            return _sdk_error("Sfn.InvalidArnException", error)
        fields = {"status": "Status", "output": "Output", "error": "Error", "cause": "Cause"}
        return {new: described[old] for old, new in fields.items() if old in described}, None


def _sdk_error(name: str, error: Exception):
    return {"errorType": name, "errorMessage": str(error)}, "Unhandled"


@pytest.fixture
def deployed(local_aws):
    """The local AWS with the image run and the answer workflow (1 s polls)."""
    image_run = local_aws.create_state_machine(
        "bgremove-single-image-run",
        build_single_image_definition({name: function_arn(name) for name in FUNCTIONS}),
    )
    executions = image_run.replace(":stateMachine:", ":execution:")
    answers = {
        polls: local_aws.create_state_machine(
            f"answer-{polls}",
            with_stand_ins(
                build_answer_definition(
                    image_run, executions, SyncBudget(poll_seconds=1, max_polls=polls)
                )
            ),
        )
        for polls in (1, 10)
    }
    router = Router(local_aws.sfn, local_aws.invoker)
    local_aws.route(router)
    try:
        yield local_aws, answers, router
    finally:
        router.hold_store.set()


_names = iter(range(10**6))


def ask(aws, machine: str, payload: dict) -> tuple[str, dict]:
    """Run the answer workflow (as API Gateway's StartSyncExecution would); its output."""
    name = f"request-{next(_names)}"
    described = aws.execute(machine, payload, name=name)
    assert described["status"] == "SUCCEEDED", described  # the answer never fails
    return name, json.loads(described["output"])


def upload(s3, key: str, tmp_path) -> None:
    image = Image.new("RGB", (160, 120), (235, 235, 235))
    ImageDraw.Draw(image).ellipse((40, 30, 120, 90), fill=(20, 120, 60))
    image.save(tmp_path / "photo.png")
    s3.upload_file(str(tmp_path / "photo.png"), "bgremove-batch", key)


def test_a_quick_image_is_answered_with_the_cutouts_url(deployed, tmp_path):
    aws, answers, _ = deployed
    upload(aws.s3, "inputs/cat.png", tmp_path)
    name, answer = ask(aws, answers[10], {"input_key": "inputs/cat.png"})
    assert answer["http_status"] == 200 and answer["status"] == "SUCCEEDED"
    assert answer["id"] == name  # the image run is named after the API request
    assert "outputs/cat_bg_removed.png" in answer["url"] and "X-Amz-Expires=3600" in answer["url"]


def test_a_missing_key_is_answered_with_the_tutorials_error(deployed):
    aws, answers, _ = deployed
    _, answer = ask(aws, answers[10], {"input_key": "inputs/nonexistent.png"})
    assert answer["http_status"] == 404
    assert answer["error"] == "SourceNotFoundError"
    assert answer["message"] == (
        "S3 object 'inputs/nonexistent.png' does not exist in bucket 'bgremove-batch'"
    )


def test_an_image_that_fails_is_answered_with_its_recorded_reason(deployed):
    aws, answers, _ = deployed
    aws.s3.put_object(Bucket="bgremove-batch", Key="inputs/notes.png", Body=b"not an image")
    _, answer = ask(aws, answers[10], {"input_key": "inputs/notes.png"})
    assert answer["http_status"] == 400 and answer["status"] == "FAILED"
    assert answer["error"] == "UnsupportedFormatError" and answer["message"]


@pytest.mark.slow  # it waits out the answer's real polls (3 s)
def test_a_slow_image_is_answered_202_and_the_status_route_gives_the_url(deployed, tmp_path):
    aws, answers, router = deployed
    upload(aws.s3, "inputs/slow.png", tmp_path)
    router.hold_store.clear()  # the image run cannot finish before the answer's one poll
    name, answer = ask(aws, answers[1], {"input_key": "inputs/slow.png"})
    assert answer == {"http_status": 202, "status": "RUNNING", "id": name}
    router.hold_store.set()
    _, later = ask(aws, answers[10], {"id": name})
    assert later["http_status"] == 200 and "outputs/slow_bg_removed.png" in later["url"]


def test_an_unknown_id_is_answered_404(deployed):
    aws, answers, _ = deployed
    _, answer = ask(aws, answers[1], {"id": "no-such-run"})
    assert answer["http_status"] == 404 and answer["status"] == "UNKNOWN"
