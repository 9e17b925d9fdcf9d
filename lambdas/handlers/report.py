"""Report Lambda. See ``lambdas.run_report``."""

from __future__ import annotations

from lambdas import clients, run_report
from lambdas.observability import LambdaContext, instrument
from lambdas.payloads import RunEvent, RunSummary


@instrument
def handler(event: RunEvent, context: LambdaContext | None = None) -> RunSummary:
    return run_report.write_run_report(clients.run_store(event["run"]))
