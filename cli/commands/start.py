"""``bgremove start``: start a batch on the deployed stack, and with ``--wait`` see it through."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from cli import aws
from cli.execution import MapRunProgress, finish
from cli.exit_codes import ExitCode
from lambdas.planning import new_run_id


def add_parser(commands: Any) -> None:
    """Register ``start`` with ``commands`` (an ``add_subparsers`` result)."""
    start = commands.add_parser(
        "start",
        help="start a batch on the deployed stack (an S3 prefix or manifest)",
        description="Start an execution of the deployed state machine. With --wait, show "
        "progress from the Map Run and print the report URL; exit 0/1/2 like `run`.",
    )
    source = start.add_mutually_exclusive_group(required=True)
    source.add_argument("--prefix", help="s3://<bucket>/inputs/… : every file under it")
    source.add_argument("--manifest", help="s3://<bucket>/manifests/….json or .csv")
    start.add_argument(
        "--wait", action="store_true", help="wait, with a progress bar, for the report"
    )
    start.add_argument(
        "--skip-done",
        action="store_true",
        help="skip photos whose cutout is newer than the photo (reported as skipped)",
    )
    aws.add_stack_arguments(start)
    start.set_defaults(func=aws.answering(start_command))


def start_command(
    args: argparse.Namespace, *, clients: tuple[Any, Any] | None = None, poll: float = 2.0
) -> int:
    """Start an execution for ``--prefix`` or ``--manifest``; with ``--wait``, its exit code."""
    cloudformation, sfn = clients or aws.clients(args)
    outputs = aws.stack_outputs(cloudformation, args.stack)
    request: dict[str, Any] = (
        {"prefix": args.prefix} if args.prefix else {"manifest": args.manifest}
    )
    if getattr(args, "skip_done", False):
        request["options"] = {"skip_done": True}
    execution = sfn.start_execution(
        stateMachineArn=aws.state_machine_arn(outputs, args.stack),
        name=new_run_id(),
        input=json.dumps(request),
    )["executionArn"]
    print(f"Started {execution}")
    region = execution.split(":")[3]
    print(
        f"Watch it: https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution}"
    )
    if not args.wait:
        return ExitCode.OK
    return _wait(sfn, execution, poll)


def _wait(sfn: Any, execution: str, poll: float) -> int:
    from tqdm import tqdm

    bar = None
    progress = MapRunProgress(sfn, execution)
    while True:
        described = sfn.describe_execution(executionArn=execution)
        counts = progress.counts()
        if counts and sys.stderr.isatty():
            if bar is None:
                bar = tqdm(total=counts["total"], unit="img", file=sys.stderr, leave=False)
            bar.n = counts["succeeded"] + counts["failed"]
            bar.set_postfix(failed=counts["failed"], refresh=True)
        if described["status"] != "RUNNING":
            break
        time.sleep(poll)
    if bar is not None:
        bar.close()
    progress.report_failure()
    return finish(described)
