"""Validate Lambda. See ``lambdas.item_steps.validate``."""

from lambdas import clients, item_steps
from lambdas.observability import instrument


@instrument
def handler(event, context=None):
    return item_steps.validate(event, store=clients.run_store(event["run"]))
