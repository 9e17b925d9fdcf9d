"""report.csv: one row per planned item, for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from lambdas.reporting.model import Report

CSV_COLUMNS = (
    "item_id",
    "source",
    "status",
    "output",
    "url",
    "error_type",
    "error_message",
    "width",
    "height",
    "notes",
)


def to_csv(report: Report) -> str:
    """report.csv: one row per item, ``CSV_COLUMNS`` in order, notes joined by ``; ``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in report["items"]:
        error: Mapping[str, object] = entry["error"] or {}
        writer.writerow(
            [
                entry["item_id"],
                entry["source"],
                entry["status"],
                entry["output"] or "",
                entry["url"] or "",
                error.get("type", ""),
                error.get("message", ""),
                entry["width"] or "",
                entry["height"] or "",
                "; ".join(entry["notes"] or []),
            ]
        )
    return buffer.getvalue()
