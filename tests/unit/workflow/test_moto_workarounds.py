"""Each workaround has a test that fails when it stops working, and one that fails
when moto no longer needs it (then delete the workaround and its tests)."""

import inspect
import json
import time

import boto3
import pytest
from moto import mock_aws

from workflow import moto_workarounds
from workflow.moto_workarounds import ORIGINALS

ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.fixture
def sfn():
    moto_workarounds.apply()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="items")
        yield boto3.client("stepfunctions", region_name="us-east-1"), s3
    moto_workarounds.reset_clients()


def run(sfn, definition, payload=None, timeout=120):
    machine = sfn.create_state_machine(
        name=f"m{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload or {}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("execution did not finish")


def distributed_map(processor_states, start_at, tolerated=100.0, concurrency=1):
    return {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": "items", "Key": "items.json"},
                },
                "MaxConcurrency": concurrency,
                "ToleratedFailurePercentage": tolerated,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": start_at,
                    "States": processor_states,
                },
                "ResultPath": None,
                "End": True,
            }
        },
    }


# --- 1. Iterative Map workers (moto recurses once per item) ---------------------------


def test_moto_map_workers_still_recurse_per_item():
    for name in ("IterationWorker._eval_pool", "DistributedItemProcessorWorker._eval_pool"):
        source = inspect.getsource(ORIGINALS[name])
        assert "self._eval_pool(job=next_job" in source, f"moto fixed {name}: drop the workaround"


def test_one_worker_runs_more_items_than_the_recursion_limit_allows(sfn):
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps(list(range(1500))))
    definition = distributed_map({"Done": {"Type": "Pass", "End": True}}, "Done")
    described = run(client, definition)
    assert described["status"] == "SUCCEEDED", described.get("cause")


# --- 2. One boto3 client per service instead of one per task --------------------------


def test_moto_still_makes_a_client_per_call():
    make = ORIGINALS["boto_client_for"]
    assert make(region="us-east-1", service="s3") is not make(region="us-east-1", service="s3")


def test_the_interpreter_reuses_clients():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    moto_workarounds.apply()
    first = lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda")
    assert first is lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda")


# --- 3. A retry clock tests and rehearsals can compress -------------------------------


def test_moto_still_really_sleeps_between_retries():
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    assert "time.sleep(interval_seconds)" in inspect.getsource(retrier_decl.RetrierDecl._eval_body)


def test_retry_waits_go_through_the_scaled_clock(sfn):
    client, _ = sfn
    definition = {
        "StartAt": "Read",
        "States": {
            "Read": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": "items", "Key": "missing.json"},
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 20,
                        "BackoffRate": 2.0,
                        "MaxAttempts": 2,
                    }
                ],
                "End": True,
            }
        },
    }
    clock = moto_workarounds.retry_clock
    clock.scale, before = 0.0005, clock.slept
    try:
        described = run(client, definition, timeout=30)
    finally:
        clock.scale = 1.0
    assert described["status"] == "FAILED"
    assert clock.slept - before == pytest.approx(20 + 40)


# --- 4. Failed items do not fail the Map (moto ignores ToleratedFailurePercentage) ----


FAILING = {
    "Check": {
        "Type": "Choice",
        "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Item failed"}],
        "Default": "Item done",
    },
    "Item done": {"Type": "Pass", "End": True},
    "Item failed": {"Type": "Fail", "Error": "CorruptImageError", "Cause": "bad"},
}


def test_failed_items_are_tolerated_at_100_percent(sfn):
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps([1, 2, 3]))
    described = run(client, distributed_map(FAILING, "Check", tolerated=100.0, concurrency=2))
    assert described["status"] == "SUCCEEDED"


def test_moto_still_ignores_tolerated_failure_percentage(sfn):
    # AWS fails this Map (0 % tolerated); moto does not. When moto starts honouring
    # the setting this test fails: then our definition's 100.0 is what keeps the Map going.
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps([1, 2, 3]))
    described = run(client, distributed_map(FAILING, "Check", tolerated=0.0, concurrency=2))
    assert described["status"] == "SUCCEEDED"


# --- 5. Parse each JSONPath once ------------------------------------------------------


def test_moto_still_parses_jsonpath_on_every_read():
    from moto.stepfunctions.parser.asl.utils import json_path

    assert "input_expr = parse(path)" in inspect.getsource(json_path.extract_json)
    assert not hasattr(ORIGINALS["json_path.parse"], "cache_info")


def test_jsonpath_parses_are_cached_and_still_correct():
    from moto.stepfunctions.parser.asl.utils import json_path

    moto_workarounds.apply()
    assert json_path.extract_json("$.a.b", {"a": {"b": 3}}) == 3
    assert json_path.extract_json("$.a.b", {"a": {"b": 4}}) == 4
    assert json_path.parse.cache_info().hits >= 1


# --- 6. Lambda tasks answered in-process, without a boto3 round trip ------------------


def test_moto_still_invokes_lambda_through_a_boto3_client():
    source = inspect.getsource(ORIGINALS["_invoke_lambda_function"])
    assert "boto_client_for" in source and "lambda_client.invoke" in source


class CorruptImageError(Exception):
    pass


def test_routed_lambda_results_and_error_names_reach_the_definition(sfn):
    client, _ = sfn
    calls = []

    def router(function, payload):
        calls.append(function)
        event = json.loads(payload)
        if event["n"] == 2:
            return {"errorType": "CorruptImageError", "errorMessage": "bad"}, "Unhandled"
        return {"double": event["n"] * 2}, None

    arn = "arn:aws:lambda:us-east-1:123456789012:function:double"
    definition = {
        "StartAt": "Double",
        "States": {
            "Double": {
                "Type": "Task",
                "Resource": arn,
                "ResultPath": "$.result",
                "Catch": [
                    {
                        "ErrorEquals": ["CorruptImageError"],
                        "ResultPath": "$.error",
                        "Next": "Caught",
                    }
                ],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    moto_workarounds.route_lambda(router)
    try:
        ok = run(client, definition, {"n": 3})
        caught = run(client, definition, {"n": 2})
    finally:
        moto_workarounds.route_lambda(None)
    assert json.loads(ok["output"])["result"] == {"double": 6}
    assert json.loads(json.loads(caught["output"])["error"]["Cause"])["errorMessage"] == "bad"
    assert calls == [arn, arn]


# --- 7. A JSON-specialised deep copy for state data -----------------------------------


def test_moto_still_deep_copies_state_data_with_copy_deepcopy():
    from moto.stepfunctions.parser.asl.eval import states

    assert "copy.deepcopy(input_value)" in inspect.getsource(states.States.reset)


def test_json_copy_is_a_real_deep_copy():
    from workflow.moto_workarounds import json_copy

    original = {"a": [1, {"b": "c"}], "d": None, "e": 1.5, "f": True, "g": ("tuple",)}
    copied = json_copy(original)
    assert copied == original
    copied["a"][1]["b"] = "changed"
    assert original["a"][1]["b"] == "c"
    assert copied["g"] is not original["g"] or copied["g"] == ("tuple",)


def test_states_module_uses_the_json_copy():
    from moto.stepfunctions.parser.asl.eval import states

    moto_workarounds.apply()
    assert states.copy.deepcopy({"x": [1]}) == {"x": [1]}
    assert states.copy is not __import__("copy")


# --- 8. No per-item event history inside a Distributed Map ----------------------------


def test_moto_still_records_map_run_children_in_an_event_manager():
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component,
    )

    source = inspect.getsource(
        distributed_iteration_component.DistributedIterationComponent._eval_body
    )
    assert "env.event_manager = EventManager()" in source
    assert (
        ORIGINALS["map_run_event_manager"].add_event
        is not moto_workarounds._UnrecordedEventManager.add_event
    )


def test_parent_history_is_kept_and_child_events_are_not(sfn):
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps(list(range(50))))
    described = run(client, distributed_map({"Done": {"Type": "Pass", "End": True}}, "Done"))
    history = client.get_execution_history(executionArn=described["executionArn"])["events"]
    types = [event["type"] for event in history]
    assert "MapRunStarted" in types and "ExecutionSucceeded" in types
    assert len(history) < 30  # not 50 items' worth of child events


# --- 9. Tasks run in the worker's thread -------------------------------------------------


def test_moto_still_starts_a_thread_per_task():
    source = inspect.getsource(ORIGINALS["_evaluate_with_timeout"])
    assert "Thread(target=_exec_and_notify" in source
    # Our copy must keep moto's post-processing; fail loudly if moto adds a step to it.
    tail = source.split("env.stack.append(execution_output)", 1)[1]
    for step in ("set_result", "assign_decl", "result_selector", "result_path"):
        assert step in tail
    assert tail.count("if ") == 4


def test_task_results_errors_and_result_paths_survive_running_in_thread(sfn):
    client, _ = sfn
    moto_workarounds.route_lambda(
        lambda function, payload: (
            ({"got": json.loads(payload)["n"]}, None)
            if json.loads(payload)["n"] != 0
            else ({"errorType": "EmptyFileError", "errorMessage": "empty"}, "Unhandled")
        )
    )
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "ResultSelector": {"value.$": "$.got"},
                "ResultPath": "$.call",
                "Catch": [
                    {"ErrorEquals": ["EmptyFileError"], "ResultPath": "$.error", "Next": "Failed"}
                ],
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
            "Failed": {"Type": "Fail", "Error": "EmptyFileError"},
        },
    }
    try:
        ok = run(client, definition, {"n": 5, "keep": True})
        failed = run(client, definition, {"n": 0})
    finally:
        moto_workarounds.route_lambda(None)
    assert json.loads(ok["output"]) == {"n": 5, "keep": True, "call": {"value": 5}}
    assert failed["status"] == "FAILED"


# --- 10. The 256 KiB limit before ResultPath ---------------------------------------------


def big_results_map(result_writer: bool) -> dict:
    """500 children of 1 KB each: 500 KB gathered, far past 256 KiB."""
    definition = distributed_map(
        {"Big": {"Type": "Pass", "Result": {"text": "x" * 1000}, "End": True}},
        "Big",
        concurrency=8,
    )
    if result_writer:
        definition["States"]["Map"]["ResultWriter"] = {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "items", "Prefix": "results"},
        }
    return definition


def test_moto_does_not_limit_a_map_s_gathered_results_by_itself(sfn):
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps(list(range(500))))
    source = inspect.getsource(ORIGINALS["_evaluate_with_timeout"])
    assert "_verify_size_quota" not in source, "moto limits results itself: drop workaround 10"


def test_a_map_without_a_result_writer_exceeds_the_state_limit(sfn):
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps(list(range(500))))
    described = run(client, big_results_map(result_writer=False))
    assert described["status"] == "FAILED"
    assert described.get(
        "error"
    ) == "States.DataLimitExceeded" or "DataLimitExceeded" in json.dumps(
        client.get_execution_history(executionArn=described["executionArn"])["events"],
        default=str,
    )
    writing = run(client, big_results_map(result_writer=True))
    assert writing["status"] == "SUCCEEDED"
    assert "ResultWriterDetails" not in writing.get("output", "")  # ResultPath null drops it


# --- 11. ResultWriter parameters from the state's input -----------------------------------


def test_moto_s_result_writer_still_reads_paths_from_the_results():
    source = inspect.getsource(ORIGINALS["ResultWriter._eval_body"])
    assert "get_input" not in source, "moto reads the state input itself: drop workaround 11"


def test_result_writer_paths_come_from_the_map_s_input(sfn):
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps([1, 2, 3]))
    definition = big_results_map(result_writer=True)
    definition["States"]["Map"]["ResultWriter"]["Parameters"] = {
        "Bucket.$": "$.target.bucket",
        "Prefix.$": "$.target.prefix",
    }
    described = run(client, definition, {"target": {"bucket": "items", "prefix": "runs/r1/"}})
    assert described["status"] == "SUCCEEDED", described
    written = s3.list_objects_v2(Bucket="items", Prefix="runs/r1/")["Contents"]
    assert [obj["Key"].rsplit("/", 1)[-1] for obj in written] == ["manifest.json"]


# --- 12. A failed child's result is its error and cause ------------------------------------


def test_moto_still_gives_a_failed_child_a_null_result():
    source = inspect.getsource(ORIGINALS["DistributedItemProcessorWorker._eval_job"])
    failed_branch = source.split("isinstance(end_program_state, ProgramError)")[1].split("elif")[0]
    assert "job_output = None" in failed_branch, "moto keeps the error now: drop workaround 12"


def test_a_failed_child_gives_the_map_its_error_and_cause(sfn):
    client, s3 = sfn
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps([1, 2]))
    definition = distributed_map(
        {"Boom": {"Type": "Fail", "Error": "CorruptImageError", "Cause": "truncated"}}, "Boom"
    )
    definition["States"]["Map"]["ResultPath"] = "$.results"
    described = run(client, definition)
    assert (
        json.loads(described["output"])["results"]
        == [{"Error": "CorruptImageError", "Cause": "truncated"}] * 2
    )


# --- 13. Express workflows end after 5 minutes ---------------------------------------------


def test_moto_still_lets_an_express_workflow_run_past_five_minutes():
    source = inspect.getsource(ORIGINALS["create_state_machine"])
    assert "TimeoutSeconds" not in source and "300" not in source, "moto caps Express now"


def test_an_express_workflow_gets_aws_s_five_minute_cap(sfn):
    client, _ = sfn
    long_wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 900, "End": True}}}
    express = client.create_state_machine(
        name="express", definition=json.dumps(long_wait), roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    standard = client.create_state_machine(
        name="standard", definition=json.dumps(long_wait), roleArn=ROLE
    )["stateMachineArn"]
    capped = json.loads(client.describe_state_machine(stateMachineArn=express)["definition"])
    assert capped["TimeoutSeconds"] == moto_workarounds.EXPRESS_MAX_SECONDS
    kept = json.loads(client.describe_state_machine(stateMachineArn=standard)["definition"])
    assert "TimeoutSeconds" not in kept
    # moto enforces TimeoutSeconds itself: a short one ends the run TIMED_OUT.
    short = {**long_wait, "TimeoutSeconds": 1}
    described = run(client, {**short, "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
    assert described["status"] == "TIMED_OUT"


# --- 14. S3 listing pages in time that grows with the page ---------------------------------


def test_moto_still_sorts_the_whole_bucket_for_every_listing_page():
    from moto.s3.models import S3Backend

    source = inspect.getsource(ORIGINALS["S3Backend.list_objects_v2"])
    assert "self.list_objects(" in source and "max_keys=None" in source, "moto pages now"
    walk = inspect.getsource(S3Backend.list_objects)
    assert "bucket.keys.items()" in walk and "sorted(" in walk, "moto pages now"


def test_listing_pages_never_walk_the_whole_bucket(sfn, monkeypatch):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.s3.utils import _VersionedKeyStore

    from workflow import moto_s3_listing

    _, s3 = sfn
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for index in range(500):
        backend.put_object("items", f"in/{index:05d}.jpg", b"x")
    monkeypatch.setattr(_VersionedKeyStore, "items", None)  # moto's walk over every key
    listed, indexes, written = [], set(), []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket="items", Prefix="in/", PaginationConfig={"PageSize": 100}
    ):
        listed += [entry["Key"] for entry in page["Contents"]]
        indexes.add(id(moto_s3_listing.sorted_names(backend.get_bucket("items").keys)))
        written.append(f"in/{len(listed):05d}a.jpg")  # after the page just listed
        s3.put_object(Bucket="items", Key=written[-1], Body=b"x")
    assert len(indexes) == 1  # built once, then kept up to date by the writes
    assert listed == sorted([f"in/{index:05d}.jpg" for index in range(500)] + written[:-1])


# --- 15. The response serializer parses each timestamp text once ---------------------------


def test_moto_s_serializer_still_parses_every_timestamp_it_writes():
    source = inspect.getsource(ORIGINALS["TimestampSerializer._convert_timestamp_to_str"])
    assert "parse_to_aware_datetime(value)" in source, "moto stopped parsing: drop 15"


def test_serialized_timestamps_are_parsed_once_and_unchanged(sfn):
    from moto.core import serialize

    moto_workarounds._cached_timestamp.cache_clear()
    _, s3 = sfn
    for index in range(3):
        s3.put_object(Bucket="items", Key=f"k{index}", Body=b"x")
    listed = s3.list_objects_v2(Bucket="items")["Contents"]
    head = s3.head_object(Bucket="items", Key="k0")
    assert listed[0]["LastModified"] == head["LastModified"]
    assert moto_workarounds._cached_timestamp.cache_info().hits >= 1
    for value in ("2026-11-25T17:25:42Z", "2026-11-25T17:25:42.5+02:00", 1764091542, 1.5):
        assert serialize.parse_to_aware_datetime(value) == ORIGINALS["parse_to_aware_datetime"](
            value
        )
