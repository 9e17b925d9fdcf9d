"""The run report's model: report.json as a typed document, built from item records.

Every planned item appears exactly once, in plan order. An item with no record
(its workflow ended without writing one) is reported as failed, never dropped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Literal, TypedDict

from lambdas.errors import NoResultRecordedError, NotProcessedError
from lambdas.payloads import ErrorInfo, ItemCounts, ItemRecord, ItemStatus, RunContext, WorkItem

NO_RECORD = ErrorInfo(
    type=NoResultRecordedError.__name__,
    message="no result recorded: the item's workflow ended without writing a record "
    "(see the execution history)",
)
NO_REASON = ErrorInfo(
    type="UnknownError",
    message="failed without a recorded reason (see the execution history)",
)
NOT_PROCESSED = ErrorInfo(
    type=NotProcessedError.__name__,
    message="not processed: the run was interrupted before this item finished",
)
STATUSES: tuple[ItemStatus, ...] = ("succeeded", "failed", "skipped")


class ReportItem(TypedDict):
    """One planned item as the report shows it."""

    item_id: str
    source: str
    status: ItemStatus
    output: str | None  # s3:// location on AWS, the link in local runs; None when failed
    url: str | None  # the cutout's link
    error: ErrorInfo | None  # why it failed or was skipped; None when it succeeded
    width: int | None
    height: int | None
    preview_before: str | None  # links to the small previews
    preview_after: str | None
    notes: list[str]
    model_calls: int
    cached: bool
    resumed: bool


class Report(TypedDict):
    """report.json: the run's facts and every planned item, in plan order."""

    run_id: str
    model: str
    engine: Literal["local", "aws"]
    created_at: str  # ISO 8601
    started_at: str | None
    counts: ItemCounts
    model_calls: int
    cached: int  # items whose mask came from the cache
    resumed: int  # items whose cutout an earlier run made
    failure_reasons: dict[str, int]  # error type -> failed items, most common first
    warnings: list[str]
    links_expire_at: str | None  # when presigned links stop working
    items: list[ReportItem]


class ReportSummary(TypedDict):
    """The execution's small output."""

    run_id: str
    counts: ItemCounts


def build_report(
    run: RunContext,
    items: list[WorkItem],
    records: Mapping[str, ItemRecord],
    link: Callable[[str], str],
    *,
    started_at: str | None = None,
    finished_at: str | None = None,
    missing: ErrorInfo = NO_RECORD,
    links_expire_at: str | None = None,
) -> Report:
    """Return the report.json document.

    Parameters
    ----------
    items
        The plan, skipped items included: the report lists exactly these, in this order.
    records
        The records found, by item id; records of items not in the plan are ignored.
    link
        Turns an S3 key into what the report links to: a presigned URL on AWS, a
        path relative to the output folder in local runs.
    started_at, finished_at
        ISO 8601 times; ``created_at`` is ``finished_at``, or now.
    missing
        The error reported for an item without a record (``NOT_PROCESSED`` when the
        run was interrupted on purpose).
    links_expire_at
        When the links stop working (presigned URLs), shown on the page.
    """
    entries = [_entry(run, item, records.get(item["item_id"]), link, missing) for item in items]
    statuses = Counter(entry["status"] for entry in entries)
    reasons = Counter(
        entry["error"]["type"]
        for entry in entries
        if entry["status"] == "failed" and entry["error"]
    )
    return {
        "run_id": run["run_id"],
        "model": run["model"],
        "engine": run["engine"],
        "created_at": finished_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "started_at": started_at,
        "counts": {
            "total": len(entries),
            "succeeded": statuses["succeeded"],
            "failed": statuses["failed"],
            "skipped": statuses["skipped"],
        },
        "model_calls": sum(entry["model_calls"] for entry in entries),
        "cached": sum(1 for entry in entries if entry["cached"]),
        "resumed": sum(1 for entry in entries if entry["resumed"]),
        "failure_reasons": dict(reasons.most_common()),
        "warnings": list(run.get("warnings", [])),
        "links_expire_at": links_expire_at,
        "items": entries,
    }


def _entry(
    run: RunContext,
    item: WorkItem,
    record: ItemRecord | None,
    link: Callable[[str], str],
    missing: ErrorInfo,
) -> ReportItem:
    """The report's entry for one planned item; ``missing`` stands in for its absent record."""
    if record is None:
        record = ItemRecord(
            item_id=item["item_id"],
            source=item["source"],
            status="failed",
            output_key=None,
            error=ErrorInfo(**missing),
        )
    status = record["status"]
    # A skipped item may point at a cutout made earlier (e.g. already done); a failed one has none.
    output_key = record.get("output_key") if status != "failed" else None
    error = None if status == "succeeded" else record.get("error")
    if status == "failed" and not error:
        error = ErrorInfo(**NO_REASON)  # a failure is never reported without a reason
    if output_key is None:
        output = None
    elif run["engine"] == "aws":
        output = f"s3://{run['bucket']}/{output_key}"
    else:
        output = link(output_key)

    def maybe_link(key: str | None) -> str | None:
        return link(key) if key else None

    return {
        "item_id": item["item_id"],
        "source": item["source"],
        "status": status,
        "output": output,
        "url": maybe_link(output_key),
        "error": error,
        "width": record.get("width"),
        "height": record.get("height"),
        "preview_before": maybe_link(record.get("before_preview_key")),
        "preview_after": maybe_link(record.get("after_preview_key")),
        "notes": list(record.get("notes") or []),
        "model_calls": record.get("model_calls") or 0,
        "cached": bool(record.get("cached")),
        "resumed": bool(record.get("resumed")),
    }


def summary(report: Report) -> ReportSummary:
    """The execution's small output: run id and counts."""
    return ReportSummary(run_id=report["run_id"], counts=report["counts"])


def to_json(report: Report) -> str:
    """report.json: the report as compact JSON (UTF-8, names kept as they are)."""
    return json.dumps(report, separators=(",", ":"), ensure_ascii=False)
