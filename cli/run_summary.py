"""What ``bgremove run`` prints when a run ends: the counts, the failures, where the report is."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lambdas.errors import NotProcessedError

if TYPE_CHECKING:
    from workflow.local_engine import RunOutcome

_NOT_PROCESSED = NotProcessedError.__name__


def summary(outcome: RunOutcome, elapsed: float) -> dict:
    """The run's outcome as ``--json`` prints it."""
    return {
        "status": outcome.status,
        "run_id": outcome.run_id,
        "counts": outcome.counts,
        "error": {"type": outcome.error_type, "message": outcome.error_message}
        if outcome.error_type
        else None,
        "report": str(outcome.report_path) if outcome.report_path else None,
        "seconds": round(elapsed, 2),
        "exit_code": outcome.exit_code,
    }


def print_outcome(outcome: RunOutcome, elapsed: float) -> None:
    """Print the run's outcome for a person: a refusal, a stop, or counts and failures."""
    if outcome.status == "refused":
        print(
            f"bgremove: cannot start: {outcome.error_message} ({outcome.error_type})",
            file=sys.stderr,
        )
        print("Nothing was processed and nothing was written.", file=sys.stderr)
        return
    if outcome.status == "failed":
        print(
            f"bgremove: the workflow stopped before its report: {outcome.error_type}: "
            f"{outcome.error_message}",
            file=sys.stderr,
        )
        _print_unexpected(outcome)
        return
    counts = outcome.counts
    head = "Interrupted" if outcome.status == "interrupted" else "Done"
    report = _read_report(outcome.report_path)
    kept = report.get("resumed", 0)
    print(
        f"{head} in {elapsed:.1f} s: {counts.get('succeeded', 0)} succeeded"
        f"{f' ({kept} kept from an earlier run)' if kept else ''}, "
        f"{counts.get('failed', 0)} failed, {counts.get('skipped', 0)} skipped "
        f"(of {counts.get('total', 0)})"
    )
    unfinished = report.get("failure_reasons", {}).get(_NOT_PROCESSED, 0)
    if unfinished:
        print(f"  {unfinished} not processed: run the same command again to finish them")
    if report:
        _print_failures(report)
        print(f"Cutouts and report: {outcome.out_dir}/")
        print(f"Open the contact sheet: {outcome.report_path}")
    _print_unexpected(outcome)


def _read_report(index: Path | None) -> dict:
    """The run's report.json (next to index.html), or ``{}`` if there is none."""
    if index is None:
        return {}
    try:
        return json.loads(index.with_name("report.json").read_text())
    except (OSError, ValueError):
        return {}


def _print_failures(report: dict, limit: int = 10) -> None:
    failed = [
        item
        for item in report.get("items", [])
        if item.get("status") == "failed" and item["error"]["type"] != _NOT_PROCESSED
    ]
    for item in failed[:limit]:
        error = item.get("error") or {}
        print(f"  failed  {item['source']}: {error.get('message')} ({error.get('type')})")
    if len(failed) > limit:
        print(f"  … and {len(failed) - limit} more failures: see report.csv")


def _print_unexpected(outcome: RunOutcome) -> None:
    if outcome.unexpected_errors:
        print(
            f"bgremove: {len(outcome.unexpected_errors)} unexpected error(s) (a bug: please report it). First:",
            file=sys.stderr,
        )
        print(outcome.unexpected_errors[0], file=sys.stderr)
