"""RemoveBackground Lambda. See ``lambdas.item_steps.remove_background``."""

from __future__ import annotations

from lambdas import clients, item_steps
from lambdas.observability import LambdaContext, instrument, model_call
from lambdas.payloads import ItemInput, MaskResult


@instrument
def handler(event: ItemInput, context: LambdaContext | None = None) -> MaskResult:
    model = clients.model(event["run"]["model"], event["run"].get("model_options"))
    with model_call():
        return item_steps.remove_background(
            event, store=clients.run_store(event["run"]), model=model
        )
