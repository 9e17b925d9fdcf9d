"""The run report: report.json, report.csv and index.html, built from item records.

Every planned item appears exactly once, in plan order. An item with no record
(its workflow ended without writing one) is reported as failed, never dropped.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from lambdas.errors import NoResultRecordedError, NotProcessedError
from lambdas.payloads import ItemRecord, RunContext, WorkItem

NO_RECORD = {
    "type": NoResultRecordedError.__name__,
    "message": "no result recorded: the item's workflow ended without writing a record "
    "(see the execution history)",
}
NOT_PROCESSED = {
    "type": NotProcessedError.__name__,
    "message": "not processed: the run was interrupted before this item finished",
}
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


def build_report(
    run: RunContext,
    items: list[WorkItem],
    records: Mapping[str, ItemRecord],
    link: Callable[[str], str],
    *,
    started_at: str | None = None,
    finished_at: str | None = None,
    missing: Mapping[str, str] = NO_RECORD,
) -> dict[str, Any]:
    """Return the report.json document.

    Parameters
    ----------
    link
        Turns an S3 key into what the report links to: a presigned URL on AWS, a
        path relative to the output folder in local runs.
    missing
        The error reported for an item without a record.
    """
    entries = [_entry(run, item, records.get(item["item_id"]), link, missing) for item in items]
    statuses = Counter(entry["status"] for entry in entries)
    reasons = Counter(entry["error"]["type"] for entry in entries if entry["status"] == "failed")
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
        "failure_reasons": dict(reasons.most_common()),
        "warnings": list(run.get("warnings", [])),
        "items": entries,
    }


def _entry(
    run: RunContext,
    item: WorkItem,
    record: ItemRecord | None,
    link: Callable[[str], str],
    missing: Mapping[str, str],
) -> dict[str, Any]:
    if record is None:
        record = ItemRecord(
            item_id=item["item_id"],
            source=item["source"],
            status="failed",
            output_key=None,
            error=dict(missing),  # type: ignore[typeddict-item]
        )
    output_key = record.get("output_key") if record["status"] == "succeeded" else None
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
        "status": record["status"],
        "output": output,
        "url": maybe_link(output_key),
        "error": record.get("error"),
        "width": record.get("width"),
        "height": record.get("height"),
        "preview_before": maybe_link(record.get("before_preview_key")),
        "preview_after": maybe_link(record.get("after_preview_key")),
        "notes": record.get("notes", []),
        "model_calls": record.get("model_calls", 0),
        "cached": record.get("cached", False),
    }


def summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """The execution's small output: run id and counts."""
    return {"run_id": report["run_id"], "counts": report["counts"]}


def to_csv(report: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in report["items"]:
        error = entry["error"] or {}
        writer.writerow(
            [
                entry["item_id"],
                entry["source"],
                entry["status"],
                entry["output"] or "",
                entry["url"] or "",
                error.get("type", "") if entry["status"] != "succeeded" else "",
                error.get("message", "") if entry["status"] != "succeeded" else "",
                entry["width"] or "",
                entry["height"] or "",
                "; ".join(entry["notes"] or []),
            ]
        )
    return buffer.getvalue()


_STYLE = """
:root{--ok:#1a7f37;--bad:#c62828;--skip:#8a6d00;--ink:#1f2328;--muted:#5d6470;--line:#d8dee4}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:#f6f8fa}
header{padding:20px 28px;background:#fff;border-bottom:1px solid var(--line)}
h1{margin:0 0 4px;font-size:22px}.meta{color:var(--muted);font-size:13px}
.counts{display:flex;gap:8px;flex-wrap:wrap;margin-top:12px}
.badge{border:1px solid var(--line);border-radius:999px;padding:3px 12px;background:#fff;font-weight:600;font-size:13px;cursor:pointer}
.badge.succeeded{color:var(--ok)}.badge.failed{color:var(--bad)}.badge.skipped{color:var(--skip)}
.badge[aria-pressed=true]{outline:2px solid currentColor}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:16px;padding:20px 28px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;overflow:hidden;display:flex;flex-direction:column}
.card.failed{border-color:#f2b8b5}.pics{display:grid;grid-template-columns:1fr 1fr;gap:1px;background:var(--line)}
.pic{aspect-ratio:1;display:flex;align-items:center;justify-content:center;background:#fff;overflow:hidden}
.pic img{max-width:100%;max-height:100%;display:block}
.after{background-color:#fff;background-image:linear-gradient(45deg,#e3e6ea 25%,transparent 25%),linear-gradient(-45deg,#e3e6ea 25%,transparent 25%),linear-gradient(45deg,transparent 75%,#e3e6ea 75%),linear-gradient(-45deg,transparent 75%,#e3e6ea 75%);background-size:16px 16px;background-position:0 0,0 8px,8px -8px,-8px 0}
.none{color:var(--muted);font-size:13px;padding:12px;text-align:center}
.info{padding:10px 12px;font-size:13px}.src{font-weight:600;word-break:break-all}
.status{font-weight:700;text-transform:uppercase;font-size:11px;letter-spacing:.04em}
.status.succeeded{color:var(--ok)}.status.failed{color:var(--bad)}.status.skipped{color:var(--skip)}
.reason{margin-top:4px;color:var(--bad)}.reason code{color:var(--muted)}.skipped .reason{color:var(--skip)}
.notes{color:var(--muted);margin-top:4px}.warning{margin:10px 0 0;padding:6px 10px;background:#fff8c5;border:1px solid #e3c55a;border-radius:6px;font-size:13px}footer{padding:8px 28px 28px;color:var(--muted);font-size:12px}
@media print{.counts{display:none}main{grid-template-columns:repeat(3,1fr)}}
"""

# Optional: the page works without it; it only adds filtering by status.
_SCRIPT = """
document.querySelectorAll('.badge[data-status]').forEach(function(b){b.addEventListener('click',function(){
var on=b.getAttribute('aria-pressed')!=='true';document.querySelectorAll('.badge').forEach(function(x){x.setAttribute('aria-pressed','false')});
b.setAttribute('aria-pressed',on?'true':'false');var s=on?b.dataset.status:null;
document.querySelectorAll('.card').forEach(function(c){c.hidden=!!s&&!c.classList.contains(s)})})});
"""


def to_html(report: Mapping[str, Any]) -> str:
    """index.html: a self-contained contact sheet (before / after, status, reason)."""
    esc = html.escape
    counts = report["counts"]
    badges = "".join(
        f'<button class="badge {status}" data-status="{status}" aria-pressed="false">'
        f"{counts[status]} {status}</button>"
        for status in ("succeeded", "failed", "skipped")
    )
    cards = "\n".join(_card(entry) for entry in report["items"])
    warnings = "".join(f'<p class="warning">{esc(text)}</p>' for text in report.get("warnings", []))
    title = f"bgremove report {report['run_id']}"
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>"
        f"<header><h1>Background removal: {counts['total']} images</h1>"
        f'<div class="meta">Run {esc(report["run_id"])} · model {esc(report["model"])} · '
        f"engine {esc(report['engine'])} · {esc(report.get('created_at') or '')} · "
        f"model calls {report.get('model_calls', 0)}"
        f"{' · cached ' + str(report['cached']) if report.get('cached') else ''}</div>"
        f"{warnings}"
        f'<div class="counts" role="group" aria-label="Filter by status">{badges}</div></header>'
        f"<main>{cards}</main>"
        "<footer>Also in this folder: report.json and report.csv. "
        "Links to cutouts from S3 are presigned and expire.</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _card(entry: Mapping[str, Any]) -> str:
    esc = html.escape
    source = esc(entry["source"])
    status = entry["status"]

    def picture(url: str | None, target: str | None, alt: str, css: str) -> str:
        if not url:
            return f'<div class="pic {css}"><span class="none">no preview</span></div>'
        image = f'<img loading="lazy" src="{esc(url, quote=True)}" alt="{alt}">'
        if target:
            image = f'<a href="{esc(target, quote=True)}">{image}</a>'
        return f'<div class="pic {css}">{image}</div>'

    before = picture(
        entry.get("preview_before"), entry.get("preview_before"), f"{source}, original", "before"
    )
    after = picture(
        entry.get("preview_after"), entry.get("url"), f"{source}, background removed", "after"
    )
    details = []
    if entry.get("width"):
        details.append(f"{entry['width']} × {entry['height']} px")
    if entry.get("cached"):
        details.append("from cache")
    error = entry.get("error")
    reason = ""
    if error and status != "succeeded":
        reason = f'<div class="reason">{esc(error.get("message") or "")} <code>{esc(error.get("type") or "")}</code></div>'
    notes = "".join(f'<div class="notes">{esc(note)}</div>' for note in entry.get("notes") or [])
    link = f' · <a href="{esc(entry["url"], quote=True)}">full size</a>' if entry.get("url") else ""
    return (
        f'<article class="card {status}"><div class="pics">{before}{after}</div>'
        f'<div class="info"><div class="src">{source}</div>'
        f'<span class="status {status}">{status}</span>'
        f"{' · ' + ' · '.join(details) if details else ''}{link}{reason}{notes}</div></article>"
    )
