"""Resize Lambda. See ``lambdas.item_steps.resize``."""

from lambdas import clients, item_steps
from lambdas.observability import instrument


@instrument
def handler(event, context=None):
    return item_steps.resize(
        event,
        store=clients.run_store(event["run"]),
        model=clients.model(event["run"]["model"], event["run"].get("model_options")),
    )
