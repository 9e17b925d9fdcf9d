"""RecordFailure Lambda. See ``lambdas.records.record_failure``."""

from lambdas import clients, records


def handler(event, context=None):
    record = records.record_failure(event, s3=clients.s3())
    return {"status": record["status"]}
