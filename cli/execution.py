"""A batch execution on the deployed stack: its Map Run's progress and how it ended."""

from __future__ import annotations

import json
import sys
from typing import Any

from cli.exit_codes import ExitCode
from lambdas import errors


class MapRunProgress:
    """The Distributed Map's item counts while a run goes on, and its errors when it ends.

    Progress is best effort, but nothing is swallowed: the first error reading the
    Map Run is printed (once), and a Map Run that failed or was aborted is reported.
    """

    def __init__(self, sfn: Any, execution: str) -> None:
        self.sfn = sfn
        self.execution = execution
        self.described: dict | None = None
        self.error: Exception | None = None

    def counts(self) -> dict[str, int] | None:
        """The Map Run's item counts (``None`` before the Map runs or when it cannot be read)."""
        try:
            runs = self.sfn.list_map_runs(executionArn=self.execution).get("mapRuns", [])
            if not runs:
                return None
            self.described = self.sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])
        except Exception as error:  # botocore's errors, and moto's for runs without a Map
            if self.error is None:
                print(f"bgremove: cannot read the Map Run's progress: {error}", file=sys.stderr)
            self.error = error
            return None
        items = self.described.get("itemCounts", {})
        return {
            key: int(items.get(key, 0))
            for key in ("total", "succeeded", "failed", "running", "pending")
        }

    def report_failure(self) -> None:
        """Print the Map Run's status and item errors if it did not succeed."""
        if self.described is None:
            return
        status = self.described.get("status", "")
        if status in ("FAILED", "ABORTED"):
            counts = self.described.get("itemCounts", {})
            print(
                f"bgremove: the Map Run {status.lower()} ({counts.get('failed', 0)} failed, "
                f"{counts.get('aborted', 0)} aborted, {counts.get('timedOut', 0)} timed out "
                f"of {counts.get('total', 0)} items): {self.described.get('mapRunArn', '')}",
                file=sys.stderr,
            )


def finish(described: dict) -> ExitCode:
    """Print how a finished execution ended and return the exit code it stands for.

    Parameters
    ----------
    described
        ``DescribeExecution``'s answer for an execution that is no longer running.
    """
    status = described["status"]
    if status == "SUCCEEDED":
        summary = json.loads(described.get("output") or "{}")
        counts = summary.get("counts", {})
        print(
            f"Done: {counts.get('succeeded', 0)} succeeded, {counts.get('failed', 0)} failed, "
            f"{counts.get('skipped', 0)} skipped (of {counts.get('total', 0)})"
        )
        print(f"Report: {summary.get('report_url')}")
        return ExitCode.for_counts(counts)
    error, message = errors.parse_cause(described.get("cause"), described.get("error"))
    reason = f"{error}: {message}" if message else error
    print(f"bgremove: the execution {status.lower()}: {reason}", file=sys.stderr)
    return ExitCode.REFUSED if error in errors.PLAN_ERRORS else ExitCode.ITEMS_FAILED
