"""Report Lambda. See ``lambdas.run_report``."""

from lambdas import clients, run_report
from lambdas.observability import instrument


@instrument
def handler(event, context=None):
    return run_report.write_run_report(clients.run_store(event["run"]))
