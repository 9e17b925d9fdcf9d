"""RecordFailure Lambda. See ``lambdas.records.record_failure``."""

from lambdas import clients, records
from lambdas.observability import count, instrument


@instrument
def handler(event, context=None):
    record = records.record_failure(event, s3=clients.s3())
    count("ItemsFailed")
    return {"status": record["status"]}
