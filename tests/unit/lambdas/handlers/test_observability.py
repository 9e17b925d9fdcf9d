"""Handlers are plain functions locally and Powertools-instrumented on AWS."""

import importlib
import json

import pytest

from lambdas import observability
from tests.fixtures.events import load_event


class LambdaContext:
    function_name = "bgremove-record-failure"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bgremove-record-failure"
    aws_request_id = "request-1"


def test_locally_handlers_are_not_wrapped(monkeypatch):
    monkeypatch.setenv("BGREMOVE_ENGINE", "local")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)

    def handler(event, context=None):
        return event

    assert observability.instrument(handler) is handler


def test_on_aws_a_failure_record_emits_an_items_failed_metric(monkeypatch, s3, capsys):
    monkeypatch.setenv("BGREMOVE_ENGINE", "aws")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "bgremove-record-failure")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon in tests
    from lambdas import clients

    clients.reset()
    module = importlib.reload(importlib.import_module("lambdas.handlers.record_failure"))
    event = load_event("record_failure")
    try:
        assert module.handler(event, LambdaContext()) == {"status": "failed"}
    finally:
        monkeypatch.setenv("BGREMOVE_ENGINE", "local")
        importlib.reload(module)
        clients.reset()
    emitted = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    metrics = [line for line in emitted if "_aws" in line]
    assert metrics, emitted
    assert metrics[0]["ItemsFailed"] in (1.0, [1.0])
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "bgremove"


@pytest.mark.parametrize(
    "name", ["plan", "validate", "resize", "remove_background", "store", "record_failure", "report"]
)
def test_every_handler_is_a_few_lines(name):
    import inspect

    source = inspect.getsource(importlib.import_module(f"lambdas.handlers.{name}"))
    body = [
        line
        for line in source.splitlines()
        if line.strip() and not line.startswith(("from ", "import ", '"""', "@", "def "))
    ]
    assert len(body) <= 8, body
