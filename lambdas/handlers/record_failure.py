"""RecordFailure Lambda. See ``lambdas.records.record_failure``."""

from __future__ import annotations

from lambdas import clients, records
from lambdas.observability import LambdaContext, count, instrument
from lambdas.payloads import ItemInput, StepStatus


@instrument
def handler(event: ItemInput, context: LambdaContext | None = None) -> StepStatus:
    record = records.record_failure(event, store=clients.run_store(event["run"]))
    count("ItemsFailed")
    return {"status": record["status"]}
