"""The Report step: gather every item's record and write the run's report files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lambdas import records, reporting, storage
from lambdas.payloads import RunContext, RunSummary, WorkItem


def local_link(run: RunContext) -> Callable[[str], str]:
    """Links relative to the output folder a local run syncs its results into.

    The engine copies ``outputs/…`` and the report folder into that one folder, so
    ``outputs/a/cat_bg_removed.png`` is ``a/cat_bg_removed.png`` next to index.html.
    """

    def link(key: str) -> str:
        for prefix in (run["report_prefix"], run["output_prefix"]):
            if key.startswith(prefix):
                return key[len(prefix) :]
        return key

    return link


def presigned_link(run: RunContext, s3: Any) -> Callable[[str], str]:
    def link(key: str) -> str:
        return storage.presigned_url(s3, run["bucket"], key, run["url_expiry_seconds"])

    return link


def write_run_report(run: RunContext, *, s3: Any, interrupted: bool = False) -> RunSummary:
    """Write report.json, report.csv and index.html; return the execution's summary.

    ``interrupted`` (local runs stopped with Ctrl-C) reports items without a record
    as not processed rather than as lost.
    """
    planned: list[WorkItem] = storage.read_json(
        s3, run["bucket"], f"{run['runs_prefix']}plan.json"
    )["items"]
    found = records.read_records(s3, run)
    link = local_link(run) if run["engine"] == "local" else presigned_link(run, s3)
    report = reporting.build_report(
        run,
        planned,
        found,
        link,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        missing=reporting.NOT_PROCESSED if interrupted else reporting.NO_RECORD,
    )
    prefix, bucket = run["report_prefix"], run["bucket"]
    storage.write_json(s3, bucket, f"{prefix}report.json", report)
    storage.write_bytes(
        s3,
        bucket,
        f"{prefix}report.csv",
        reporting.to_csv(report).encode(),
        "text/csv; charset=utf-8",
    )
    index_key = f"{prefix}index.html"
    storage.write_bytes(
        s3, bucket, index_key, reporting.to_html(report).encode(), "text/html; charset=utf-8"
    )
    only = report["items"][0] if len(report["items"]) == 1 else None
    return RunSummary(
        run_id=run["run_id"],
        counts=report["counts"],
        report_key=index_key,
        report_url=link(index_key),
        output_url=only["url"] if only else None,
    )
