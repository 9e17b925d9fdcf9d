"""Each item's one record (succeeded, failed or skipped): what it says and how failures read."""

from __future__ import annotations

import json

from lambdas.errors import parse_cause
from lambdas.imaging import edges
from lambdas.imaging.output import OutputOptions
from lambdas.payloads import ErrorInfo, ItemInput, ItemRecord, RunContext, StateError, WorkItem
from lambdas.run_store import RunStore


def run_signature(run: RunContext, item: WorkItem) -> str:
    """What determines a cutout besides its source: a local re-run reuses a cutout only
    when this is unchanged (the simulator's clock is left out: it changes no mask).
    """
    options = {name: value for name, value in run["model_options"].items() if name != "time_scale"}
    output = OutputOptions.for_item(run, item).to_dict()
    return json.dumps(
        {
            "model": run["model"],
            "options": options,
            "format": run["output_format"],
            "output": output,
            "edges": edges.VERSION,
        },
        sort_keys=True,
    )


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

    ``parse_cause`` reads a Lambda's JSON cause and Step Functions' free text alike.
    """
    name, message = parse_cause(error.get("Cause"), error.get("Error"))
    if name in _STATES_ERRORS:
        message = f"{_STATES_ERRORS[name]}{': ' + message if message else ''}"
    if not message:
        message = name
    return ErrorInfo(type=name, message=message)


def record_failure(state: ItemInput, *, store: RunStore) -> ItemRecord:
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
    store.write_record(state["item"], record)
    return record
