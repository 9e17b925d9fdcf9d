"""Store Lambda. See ``lambdas.item_steps.store``."""

from lambdas import clients, item_steps


def handler(event, context=None):
    record = item_steps.store(event, s3=clients.s3())
    return {"status": record["status"]}
