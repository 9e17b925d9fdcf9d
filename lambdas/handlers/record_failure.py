"""RecordFailure Lambda. See ``lambdas.item_steps.record_failure``."""

from lambdas import clients, item_steps


def handler(event, context=None):
    record = item_steps.record_failure(event, s3=clients.s3())
    return {"status": record["status"]}
