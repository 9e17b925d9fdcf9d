"""RemoveBackground Lambda. See ``lambdas.item_steps.remove_background``."""

from lambdas import clients, item_steps
from lambdas.observability import instrument, model_call


@instrument
def handler(event, context=None):
    model = clients.model(event["run"]["model"], event["run"].get("model_options"))
    with model_call():
        return item_steps.remove_background(
            event, store=clients.run_store(event["run"]), model=model
        )
