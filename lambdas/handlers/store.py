"""Store Lambda. See ``lambdas.item_steps.store``."""

from lambdas import clients, item_steps
from lambdas.observability import count, instrument


@instrument
def handler(event, context=None):
    record = item_steps.store(event, store=clients.run_store(event["run"]))
    count("ItemsProcessed")
    return {"status": record["status"]}
