"""RemoveBackground Lambda. See ``lambdas.item_steps.remove_background``."""

from lambdas import clients, item_steps


def handler(event, context=None):
    return item_steps.remove_background(
        event,
        s3=clients.s3(),
        model=clients.model(event["run"]["model"], event["run"].get("model_options")),
    )
