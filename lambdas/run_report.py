"""The Report step: gather every item's record and write the run's report files."""

from __future__ import annotations

from datetime import UTC, datetime

from lambdas import reporting
from lambdas.payloads import RunSummary
from lambdas.reporting import Report
from lambdas.run_store import RunStore

_CONTENT_TYPES = {
    "report.json": "application/json",
    "report.csv": "text/csv; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}


def build(store: RunStore, *, interrupted: bool = False) -> Report:
    """The run's report from its plan and records, with links ``store`` makes now.

    ``interrupted`` (local runs stopped with Ctrl-C) reports items without a record
    as not processed rather than as lost.
    """
    planned, ended = store.read_plan()
    return reporting.build_report(
        store.run,
        planned,
        {**ended, **store.read_records(planned)},
        store.link,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        missing=reporting.NOT_PROCESSED if interrupted else reporting.NO_RECORD,
        links_expire_at=store.links_expire_at(),
    )


def documents(report: Report) -> dict[str, str]:
    """The report's files by name: report.json, report.csv, index.html."""
    return {
        "report.json": reporting.to_json(report),
        "report.csv": reporting.to_csv(report),
        "index.html": reporting.to_html(report),
    }


def write_run_report(store: RunStore, *, interrupted: bool = False) -> RunSummary:
    """Write report.json, report.csv and index.html; return the execution's summary."""
    run = store.run
    report = build(store, interrupted=interrupted)
    keys = {
        name: store.write_report_file(name, text.encode(), _CONTENT_TYPES[name])
        for name, text in documents(report).items()
    }
    only = report["items"][0] if len(report["items"]) == 1 else None
    return RunSummary(
        run_id=run["run_id"],
        counts=report["counts"],
        bucket=run["bucket"],
        report_key=keys["index.html"],
        report_url=store.link(keys["index.html"]),
        output_url=only["url"] if only else None,
    )
