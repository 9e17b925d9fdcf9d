"""``bgremove status``: an execution's state and counts, and its report with fresh links."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, cast

from cli import aws
from cli.execution import MapRunProgress, finish
from cli.exit_codes import ExitCode
from lambdas.payloads import RunContext
from lambdas.settings import MAX_URL_EXPIRY_SECONDS, Settings


def add_parser(commands: Any) -> None:
    """Register ``status`` with ``commands`` (an ``add_subparsers`` result)."""
    status = commands.add_parser(
        "status",
        help="show an execution's state, item counts and report",
        description="Show an execution's state and item counts. With --links, write the "
        "report again into --out with links signed now by your own credentials (the "
        "report's links die with the Lambda session that signed them).",
    )
    status.add_argument("execution_arn")
    status.add_argument(
        "--links", action="store_true", help="write the report with fresh links into --out"
    )
    expires = Settings().url_expiry_seconds
    status.add_argument(
        "--expires",
        type=int,
        default=expires,
        metavar="SECONDS",
        help=f"how long the fresh links should live (default {expires}, at most "
        f"{MAX_URL_EXPIRY_SECONDS}; never longer than your credentials)",
    )
    status.add_argument(
        "--out", type=Path, default=None, help="where --links writes (default ./report-RUN_ID)"
    )
    aws.add_stack_arguments(status)
    status.set_defaults(func=aws.answering(status_command))


def status_command(args: argparse.Namespace, *, clients: tuple[Any, Any] | None = None) -> int:
    """Print the execution's state and counts; once it has ended, the exit code it stands for."""
    _, sfn = clients or aws.clients(args)
    described = sfn.describe_execution(executionArn=args.execution_arn)
    print(f"{described['name']}: {described['status']}")
    progress = MapRunProgress(sfn, args.execution_arn)
    counts = progress.counts()
    if counts:
        print("items: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    if described["status"] == "RUNNING":
        return ExitCode.OK
    progress.report_failure()
    code = finish(described)
    if getattr(args, "links", False) and described["status"] == "SUCCEEDED":
        fresh_links(json.loads(described["output"]), args)
    return code


def fresh_links(summary: dict, args: argparse.Namespace, *, s3: Any = None) -> Path:
    """Write the run's report with links signed now by the caller's credentials."""
    import boto3
    from botocore.config import Config

    from lambdas import layout, run_report, storage
    from lambdas.run_store import S3RunStore

    if not 1 <= args.expires <= MAX_URL_EXPIRY_SECONDS:
        raise aws.CloudError(
            f"--expires must be between 1 and {MAX_URL_EXPIRY_SECONDS} seconds, not {args.expires}"
        )
    s3 = s3 or boto3.client("s3", region_name=args.region, config=Config(signature_version="s3v4"))
    plan = storage.read_json(s3, summary["bucket"], layout.plan_key(summary["run_id"]))
    # plan.json holds the RunContext Plan made (lambdas/payloads.py)
    run = cast(RunContext, {**plan["run"], "url_expiry_seconds": args.expires})
    store = S3RunStore(run, s3=s3)
    report = run_report.build(store)
    out = args.out or Path(f"report-{summary['run_id']}")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in run_report.documents(report).items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"Fresh links until {report['links_expire_at']}: {out / 'index.html'}")
    return out
