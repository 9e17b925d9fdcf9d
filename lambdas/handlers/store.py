"""Store Lambda. See ``lambdas.item_steps.store``."""

from __future__ import annotations

from lambdas import clients, item_steps
from lambdas.observability import LambdaContext, count, instrument
from lambdas.payloads import ItemInput, StepStatus


@instrument
def handler(event: ItemInput, context: LambdaContext | None = None) -> StepStatus:
    record = item_steps.store(event, store=clients.run_store(event["run"]))
    count("ItemsProcessed")
    return {"status": record["status"]}
