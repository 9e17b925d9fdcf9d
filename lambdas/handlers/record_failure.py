"""RecordFailure Lambda. See ``lambdas.records.record_failure``."""

from lambdas import clients, records
from lambdas.observability import count, instrument


@instrument
def handler(event, context=None):
    record = records.record_failure(event, store=clients.run_store(event["run"]))
    count("ItemsFailed")
    return {"status": record["status"]}
