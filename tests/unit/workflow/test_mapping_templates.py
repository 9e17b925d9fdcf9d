"""The single-image API's mapping templates, rendered by a real Velocity engine (velocityjs).

``tests/vtl/apigateway.js`` gives the templates API Gateway's ``$input``, ``$util`` and
``$context`` (``$util.escapeJavaScript`` turns ``'`` into ``\\'`` as API Gateway's does).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.node_tools import run_node
from workflow import single_image_api as api

HARNESS = Path(__file__).resolve().parents[2] / "vtl" / "apigateway.js"
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:bgremove-single-image-answer"
REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"
STATUS_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/v1/cutout/status?id="

KEYS = [
    "inputs/cat.png",
    "inputs/it's mine.png",
    'inputs/say "cheese".jpg',
    "inputs/back\\slash\\.png",
    "inputs/façade/日本の猫.webp",
    "inputs/smile 😀.png",
    "inputs/tab\tand\nnew line.png",
    "inputs/$dollar #hash ${x} %20 &amp;.png",
    "inputs/'\\\"/\\'.png",
]


def render(template: str, *, params=None, body: str = "", context=None) -> dict:
    request = {"template": template, "params": params or {}, "body": body}
    if context:
        request["context"] = context
    return run_node(HARNESS, request)


@pytest.mark.parametrize("key", KEYS)
def test_the_execution_input_is_json_holding_exactly_the_key(key):
    rendered = render(
        api.request_template(ARN, "input_key"), params={"querystring": {"input_key": key}}
    )
    request = json.loads(rendered["output"])
    assert request["stateMachineArn"] == ARN
    assert request["name"] == REQUEST_ID
    assert json.loads(request["input"]) == {"input_key": key}


@pytest.mark.parametrize("key", KEYS[:4])
def test_the_status_route_passes_the_id_the_same_way(key):
    rendered = render(api.request_template(ARN, "id"), params={"querystring": {"id": key}})
    assert json.loads(json.loads(rendered["output"])["input"]) == {"id": key}


def test_the_harness_has_api_gateways_escape_quirk():
    # What the old template did: one escape, no fix for \' (invalid JSON for a quote).
    naive = '{"input_key": "$util.escapeJavaScript($input.params(\'input_key\'))"}'
    rendered = render(naive, params={"querystring": {"input_key": "it's"}})
    assert rendered["output"] == '{"input_key": "it\\\'s"}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(rendered["output"])


def answer(status: str, **fields) -> str:
    """StartSyncExecution's response body."""
    body = {"executionArn": f"{ARN.replace('stateMachine', 'express')}:{REQUEST_ID}:x"}
    body.update(status=status, **fields)
    return json.dumps(body)


def respond(body: str, timed_out: str = api.CUTOUT_TIMED_OUT) -> tuple[int | None, dict]:
    rendered = render(api.response_template(timed_out=timed_out), body=body)
    return rendered["status"], json.loads(rendered["output"])


def test_success_answers_the_cutouts_url():
    url = "https://b.s3.amazonaws.com/outputs/it%27s_bg_removed.png?X-Amz-Expires=3600&a=b"
    output = {"http_status": 200, "status": "SUCCEEDED", "id": REQUEST_ID, "url": url}
    status, body = respond(answer("SUCCEEDED", output=json.dumps(output)))
    assert status == 200 and body["url"] == url and body["status"] == "SUCCEEDED"


def test_a_missing_key_answers_the_tutorials_error():
    message = "S3 object 'inputs/it\"s.png' does not exist in bucket 'bgremove-batch'"
    output = {
        "http_status": 404,
        "status": "FAILED",
        "id": REQUEST_ID,
        "error": "SourceNotFoundError",
        "message": message,
    }
    status, body = respond(answer("SUCCEEDED", output=json.dumps(output)))
    assert status == 404
    assert body["error"] == "SourceNotFoundError" and body["message"] == message


@pytest.mark.parametrize("run_id", [REQUEST_ID, 'it\'s "odd" ü'])
def test_a_run_still_working_answers_202_with_a_status_url(run_id):
    output = {"http_status": 202, "status": "RUNNING", "id": run_id}
    status, body = respond(answer("SUCCEEDED", output=json.dumps(output)))
    assert status == 202 and body["status"] == "RUNNING"
    assert body["status_url"].startswith(STATUS_URL)
    from urllib.parse import parse_qs, urlsplit

    assert parse_qs(urlsplit(body["status_url"]).query)["id"] == [run_id]


def test_an_answer_workflow_that_timed_out_still_names_the_image_run():
    status, body = respond(answer("TIMED_OUT"))
    assert status == 202
    assert body["status_url"] == STATUS_URL + REQUEST_ID
    status, body = respond(answer("TIMED_OUT"), timed_out=api.STATUS_TIMED_OUT)
    assert status == 504 and body["status"] == "UNKNOWN"


def test_an_answer_workflow_that_failed_is_a_502_naming_it():
    status, body = respond(answer("FAILED", error="States.Runtime", cause="x"))
    assert status == 502 and body["execution"].endswith(":x")


def test_step_functions_refusing_the_call_is_plain_json():
    assert json.loads(api.REFUSED)["status"] == "ERROR"
