"""The run report: report.json, report.csv and index.html, built from item records.

Building is ``model`` (the typed report); rendering is ``table`` (CSV) and ``page``
(HTML from the Jinja2 templates in ``templates/``).
"""

from lambdas.reporting.model import (
    NO_REASON,
    NO_RECORD,
    NOT_PROCESSED,
    STATUSES,
    Report,
    ReportItem,
    ReportSummary,
    build_report,
    summary,
    to_json,
)
from lambdas.reporting.page import to_html
from lambdas.reporting.table import CSV_COLUMNS, to_csv

__all__ = [
    "CSV_COLUMNS",
    "NOT_PROCESSED",
    "NO_REASON",
    "NO_RECORD",
    "STATUSES",
    "Report",
    "ReportItem",
    "ReportSummary",
    "build_report",
    "summary",
    "to_csv",
    "to_html",
    "to_json",
]
