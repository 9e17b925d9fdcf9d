"""Validate Lambda. See ``lambdas.item_steps.validate``."""

from __future__ import annotations

from lambdas import clients, item_steps
from lambdas.observability import LambdaContext, instrument
from lambdas.payloads import ItemInput, ValidatedImage


@instrument
def handler(event: ItemInput, context: LambdaContext | None = None) -> ValidatedImage:
    return item_steps.validate(event, store=clients.run_store(event["run"]))
