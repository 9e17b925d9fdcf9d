"""The Report step: gather every item's record and write the run's report files."""

from __future__ import annotations

from datetime import UTC, datetime

from lambdas import reporting
from lambdas.payloads import RunSummary
from lambdas.run_store import RunStore

_CONTENT_TYPES = {
    "report.json": "application/json",
    "report.csv": "text/csv; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}


def write_run_report(store: RunStore, *, interrupted: bool = False) -> RunSummary:
    """Write report.json, report.csv and index.html; return the execution's summary.

    ``interrupted`` (local runs stopped with Ctrl-C) reports items without a record
    as not processed rather than as lost.
    """
    run = store.run
    planned, ended = store.read_plan()
    report = reporting.build_report(
        run,
        planned,
        {**ended, **store.read_records(planned)},
        store.link,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        missing=reporting.NOT_PROCESSED if interrupted else reporting.NO_RECORD,
    )
    documents = {
        "report.json": reporting.to_json(report),
        "report.csv": reporting.to_csv(report),
        "index.html": reporting.to_html(report),
    }
    keys = {
        name: store.write_report_file(name, text.encode(), _CONTENT_TYPES[name])
        for name, text in documents.items()
    }
    only = report["items"][0] if len(report["items"]) == 1 else None
    return RunSummary(
        run_id=run["run_id"],
        counts=report["counts"],
        report_key=keys["index.html"],
        report_url=store.link(keys["index.html"]),
        output_url=only["url"] if only else None,
    )
