"""Each item's one record (succeeded, failed or skipped), stored in the run's folder."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lambdas import storage
from lambdas.payloads import ErrorInfo, ItemInput, ItemRecord, RunContext, StateError

_READ_THREADS = 16


def record_key(run: RunContext, item_id: str) -> str:
    return f"{run['runs_prefix']}records/{item_id}.json"


def write_record(s3: Any, run: RunContext, record: ItemRecord) -> None:
    storage.write_json(s3, run["bucket"], record_key(run, record["item_id"]), record)


def read_records(s3: Any, run: RunContext) -> dict[str, ItemRecord]:
    """Every record the run has written, by item id."""
    prefix = f"{run['runs_prefix']}records/"
    keys = storage.list_keys(s3, run["bucket"], prefix)
    with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
        found = list(pool.map(lambda key: storage.read_json(s3, run["bucket"], key), keys))
    return {record["item_id"]: record for record in found}


# What a person should read for errors that Step Functions itself raises.
_STATES_ERRORS = {
    "States.Timeout": "the step ran out of time (the image may be too large for the configured timeout)",
    "Sandbox.Timedout": "the function ran out of time (the image may be too large for the configured timeout)",
    "States.TaskFailed": "the step failed",
    "States.Permissions": "the workflow is not allowed to call this step (check the IAM role)",
    "Lambda.Unknown": "the function stopped unexpectedly (out of memory?)",
}


def error_info(error: StateError) -> ErrorInfo:
    """Turn what a Catch put at ``$.error`` into an error type and a plain message.

    A Lambda's ``Cause`` is a JSON string with ``errorType`` and ``errorMessage``;
    errors raised by Step Functions itself carry free text.
    """
    name = error.get("Error") or "UnknownError"
    cause = error.get("Cause") or ""
    message = cause
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, dict):
        name = parsed.get("errorType") or name
        message = parsed.get("errorMessage") or ""
    if name in _STATES_ERRORS:
        message = f"{_STATES_ERRORS[name]}{': ' + message if message else ''}"
    if not message:
        message = name
    return ErrorInfo(type=name, message=message)


def record_failure(state: ItemInput, *, s3: Any) -> ItemRecord:
    """Write the failure record of an item whose step raised an error retries could not fix.

    Kept free of image code on purpose: this step must work when everything else broke.
    """
    error: StateError = state.get("error") or StateError(Error="UnknownError", Cause="")
    record = ItemRecord(
        item_id=state["item"]["item_id"],
        source=state["item"]["source"],
        status="failed",
        output_key=None,
        error=error_info(error),
    )
    write_record(s3, state["run"], record)
    return record
