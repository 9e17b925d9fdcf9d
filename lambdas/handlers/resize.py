"""Resize Lambda. See ``lambdas.item_steps.resize``."""

from __future__ import annotations

from lambdas import clients, item_steps
from lambdas.observability import LambdaContext, instrument
from lambdas.payloads import ItemInput, ResizedImage


@instrument
def handler(event: ItemInput, context: LambdaContext | None = None) -> ResizedImage:
    return item_steps.resize(
        event,
        store=clients.run_store(event["run"]),
        model=clients.model(event["run"]["model"], event["run"].get("model_options")),
    )
