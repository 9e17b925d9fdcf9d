"""The run report: report.json, report.csv and index.html, built from item records.

Every planned item appears exactly once, in plan order. An item with no record
(its workflow ended without writing one) is reported as failed, never dropped.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from lambdas.errors import NoResultRecordedError, NotProcessedError
from lambdas.payloads import ItemRecord, RunContext, WorkItem

NO_RECORD = {
    "type": NoResultRecordedError.__name__,
    "message": "no result recorded: the item's workflow ended without writing a record "
    "(see the execution history)",
}
NO_REASON = {
    "type": "UnknownError",
    "message": "failed without a recorded reason (see the execution history)",
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
    links_expire_at: str | None = None,
) -> dict[str, Any]:
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
    status = record["status"]
    # A skipped item may point at a cutout made earlier (e.g. already done); a failed one has none.
    output_key = record.get("output_key") if status != "failed" else None
    error = None if status == "succeeded" else record.get("error")
    if status == "failed" and not error:
        error = dict(NO_REASON)  # a failure is never reported without a reason
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


def summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """The execution's small output: run id and counts."""
    return {"run_id": report["run_id"], "counts": report["counts"]}


def to_json(report: Mapping[str, Any]) -> str:
    """report.json: the report as compact JSON (UTF-8, names kept as they are)."""
    return json.dumps(report, separators=(",", ":"), ensure_ascii=False)


def to_csv(report: Mapping[str, Any]) -> str:
    """report.csv: one row per item, ``CSV_COLUMNS`` in order, notes joined by ``; ``."""
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
                error.get("type", ""),
                error.get("message", ""),
                entry["width"] or "",
                entry["height"] or "",
                "; ".join(entry["notes"] or []),
            ]
        )
    return buffer.getvalue()


STATUSES = ("succeeded", "failed", "skipped")

# One stylesheet for every page; the status filter is radio buttons and `:has()`,
# so the page needs no script. `content-visibility` keeps 10,000 cards cheap to lay out.
_STYLE = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--card:#fff;--ok:#1a7f37;--bad:#cf222e;--skip:#8a5a00;--okbg:#dafbe1;--badbg:#ffebe9;--skipbg:#fff1c2;--check:#e6e9ed;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent)}
header{padding:22px 28px 18px;background:var(--card);border-bottom:1px solid var(--line)}
h1{margin:0 0 4px;font-size:22px;line-height:1.25}
.meta,.reasons{margin:0;color:var(--muted);font-size:13px}.meta b{color:var(--ink);font-weight:600}
.reasons{margin-top:8px}.reasons code{color:var(--bad)}
.warning{margin:10px 0 0;padding:8px 12px;background:var(--skipbg);border:1px solid #d4a72c;border-radius:6px;font-size:13px}
.filter{display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 0;padding:0;border:0}
.filter legend{position:absolute;clip:rect(0 0 0 0);width:1px;height:1px;overflow:hidden}
.filter input{position:absolute;opacity:0;pointer-events:none}
.filter label{display:flex;align-items:baseline;gap:6px;min-width:112px;padding:7px 14px;border:1px solid var(--line);border-radius:8px;background:var(--card);cursor:pointer;font-size:13px;color:var(--muted)}
.filter label b{font-size:20px;color:var(--ink)}
.filter label.succeeded b{color:var(--ok)}.filter label.failed b{color:var(--bad)}.filter label.skipped b{color:var(--skip)}
.filter label.zero b{color:var(--muted)}
.filter input:checked+label{border-color:var(--ink);box-shadow:inset 0 0 0 1px var(--ink)}
.filter input:focus-visible+label{outline:2px solid var(--accent);outline-offset:2px}
body:has(#show-succeeded:checked) .card:not(.succeeded),body:has(#show-failed:checked) .card:not(.failed),body:has(#show-skipped:checked) .card:not(.skipped){display:none}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:16px;padding:20px 28px}
.card{display:flex;flex-direction:column;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;content-visibility:auto;contain-intrinsic-size:auto 330px}
.card.failed{border-color:#ffcecb}.card.skipped{border-color:#eed888}
.pics{display:grid;grid-template-columns:1fr 1fr;gap:1px;background:var(--line);aspect-ratio:2/1}
.pic{position:relative;display:flex;align-items:center;justify-content:center;overflow:hidden;background:var(--card)}
.pic a{display:contents}.pic img{display:block;max-width:100%;max-height:100%}
.pic::after{position:absolute;left:6px;top:6px;padding:0 6px;border-radius:4px;background:rgba(31,35,40,.72);color:#fff;font-size:11px;line-height:18px}
.before::after{content:"before"}.after::after{content:"after"}
.after{background:repeating-conic-gradient(var(--check) 0 25%,var(--card) 0 50%) 0 0/16px 16px}
.none{color:var(--muted);font-size:13px}
.ph{grid-column:1/-1;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:6px;color:var(--muted);font-size:13px;background:repeating-linear-gradient(-45deg,var(--card) 0 10px,var(--bg) 10px 20px)}
.ph span{display:flex;align-items:center;justify-content:center;width:40px;height:40px;border-radius:50%;border:2px solid;font-size:22px;font-weight:700}
.failed .ph span{color:var(--bad)}.skipped .ph span{color:var(--skip)}
.info{padding:10px 12px 12px;font-size:13px}
h2{margin:0 0 4px;font-size:14px;font-weight:600;overflow-wrap:anywhere}
.facts{margin:0;color:var(--muted)}
.st{display:inline-block;padding:0 7px;border-radius:999px;font-size:12px;font-weight:600}
.st.succeeded{color:var(--ok);background:var(--okbg)}.st.failed{color:var(--bad);background:var(--badbg)}.st.skipped{color:var(--skip);background:var(--skipbg)}
.why{margin:6px 0 0}.why code{display:block;margin-top:2px;color:var(--muted);font-size:12px}
.notes{margin:6px 0 0;padding-left:18px;color:var(--muted)}
footer{padding:4px 28px 28px;color:var(--muted);font-size:12px}
@media (max-width:600px){header,main,footer{padding-left:14px;padding-right:14px}main{gap:12px}.filter label{min-width:0}.pics:has(.ph){aspect-ratio:4/1}}
@media (prefers-color-scheme:dark){:root{--ink:#e6edf3;--muted:#9198a1;--line:#3d444d;--bg:#0d1117;--card:#151b23;--ok:#4ac26b;--bad:#ff7b72;--skip:#d29922;--okbg:#12301c;--badbg:#3c1618;--skipbg:#3a2a05;--check:#2a313c;--accent:#4493f8}.card.failed{border-color:#6e2a2a}.card.skipped{border-color:#5a4510}.warning{border-color:#9e6a03}}
@media print{body{background:#fff}.filter{display:none}main{grid-template-columns:repeat(3,1fr);padding:0}.card{break-inside:avoid;content-visibility:visible}*{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
"""

# What stands in for the pictures of an item that has none.
_PLACEHOLDERS = {
    "failed": ("!", "No cutout"),
    "skipped": ("\u2013", "Skipped"),
    "succeeded": ("?", "No preview"),
}


def to_html(report: Mapping[str, Any]) -> str:
    """index.html: a self-contained contact sheet (before / after, status, reason).

    No external assets and no script: every value is escaped, local links are
    percent-encoded, images load lazily.
    """
    counts = report["counts"]
    filters = _filter("all", "All", counts["total"], checked=True) + "".join(
        _filter(status, status.capitalize(), counts[status]) for status in STATUSES
    )
    reasons = report.get("failure_reasons") or {}
    why = (
        '<p class="reasons">Why items failed: '
        + ", ".join(f"<code>{_esc(kind)}</code> × {count}" for kind, count in reasons.items())
        + "</p>"
        if reasons
        else ""
    )
    notes = list(report.get("warnings") or [])
    if report.get("links_expire_at"):
        notes.append(
            f"The links on this page work until {_plain_time(report['links_expire_at'])}; "
            "for fresh ones: bgremove status EXECUTION --links"
        )
    warnings = "".join(f'<p class="warning" role="note">{_esc(text)}</p>' for text in notes)
    cached = report.get("cached") or 0
    cached_text = f" · {cached} from cache" if cached else ""
    images = "image" if counts["total"] == 1 else "images"
    cards = "\n".join(_card(entry) for entry in report["items"])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>bgremove · {_esc(report['run_id'])} · {_esc(report['model'])}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<header><h1>Background removal: {counts['total']} {images}</h1>"
        f'<p class="meta">Run <b>{_esc(report["run_id"])}</b> · model <b>{_esc(report["model"])}</b>'
        f" · {_esc(report['engine'])} engine · {_when(report.get('created_at'))}"
        f" · {report.get('model_calls', 0)} model calls{cached_text}</p>"
        f'{warnings}<fieldset class="filter"><legend>Show items by status</legend>{filters}</fieldset>'
        f"{why}</header>\n<main>\n{cards}\n</main>\n<footer>{_footer(report['engine'])}</footer>"
        "</body></html>\n"
    )


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _href(url: str) -> str:
    """An attribute-safe link: local paths percent-encoded (``#``, ``%``, ``?``, ``:``
    are ordinary characters in file names), presigned URLs kept as they are."""
    if not url.startswith(("https://", "http://")):
        url = quote(url, safe="/")
    return _esc(url)


def _plain_time(stamp: str) -> str:
    return f"{datetime.fromisoformat(stamp).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _when(stamp: str | None) -> str:
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return _esc(stamp)
    if moment.tzinfo is None:
        return f'<time datetime="{_esc(stamp)}">{moment:%Y-%m-%d %H:%M}</time>'
    return f'<time datetime="{_esc(stamp)}">{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC</time>'


def _filter(status: str, label: str, count: int, *, checked: bool = False) -> str:
    return (
        f'<input type="radio" name="show" id="show-{status}"{" checked" if checked else ""}>'
        f'<label for="show-{status}" class="{status}{"" if count else " zero"}">'
        f"<b>{count}</b>{label}</label>"
    )


def _footer(engine: str) -> str:
    if engine == "aws":
        return (
            "report.json and report.csv sit next to this page. Links are presigned S3 URLs "
            "and stop working when they expire; report.json keeps each cutout's s3:// location."
        )
    return "report.json, report.csv and the cutouts sit next to this page."


def _picture(src: str | None, target: str | None, alt: str, side: str) -> str:
    if not src:
        return f'<div class="pic {side}"><span class="none">no preview</span></div>'
    image = f'<img loading="lazy" decoding="async" src="{_href(src)}" alt="{alt}">'
    if target:
        image = f'<a href="{_href(target)}">{image}</a>'
    return f'<div class="pic {side}">{image}</div>'


def _card(entry: Mapping[str, Any]) -> str:
    status = entry["status"]
    source = _esc(entry["source"])
    before, after, url = entry.get("preview_before"), entry.get("preview_after"), entry.get("url")
    if before or after:
        pictures = _picture(before, before, f"{source}, original", "before") + _picture(
            after, url, f"{source}, background removed", "after"
        )
    else:
        glyph, text = _PLACEHOLDERS.get(status, ("?", "No preview"))
        pictures = f'<div class="ph"><span aria-hidden="true">{glyph}</span>{text}</div>'
    facts = [f'<span class="st {status}">{status}</span>']
    if entry.get("width") and entry.get("height"):
        facts.append(f"{entry['width']} × {entry['height']} px")
    if entry.get("cached"):
        facts.append("from cache")
    if url:
        facts.append(f'<a href="{_href(url)}">full size</a>')
    facts.append(f"#{_esc(entry['item_id'])}")
    error = entry.get("error")
    why = (
        f'<p class="why">{_esc(error.get("message") or "")}'
        f"<code>{_esc(error.get('type') or '')}</code></p>"
        if error
        else ""
    )
    notes = entry.get("notes") or []
    listed = (
        '<ul class="notes">' + "".join(f"<li>{_esc(note)}</li>" for note in notes) + "</ul>"
        if notes
        else ""
    )
    return (
        f'<article class="card {status}"><div class="pics">{pictures}</div>'
        f'<div class="info"><h2>{source}</h2><p class="facts">{" · ".join(facts)}</p>'
        f"{why}{listed}</div></article>"
    )
