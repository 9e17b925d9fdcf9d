"""``bgremove start`` / ``status`` / ``estimate``: the deployed stack from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from lambdas import errors
from lambdas.models.catalog import AWS_MODELS
from lambdas.planning import new_run_id
from workflow.names import DEFAULT_STACK_NAME
from workflow.prices import estimate_costs

EXIT_OK, EXIT_ITEMS_FAILED, EXIT_REFUSED = 0, 1, 2


def register(commands: Any) -> None:
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
    _common(start)
    start.set_defaults(func=_answering(start_command))

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
    status.add_argument(
        "--expires",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="how long the fresh links should live (default 3600, at most 604800; never "
        "longer than your credentials)",
    )
    status.add_argument(
        "--out", type=Path, default=None, help="where --links writes (default ./report-RUN_ID)"
    )
    _common(status)
    status.set_defaults(func=_answering(status_command))

    estimate = commands.add_parser(
        "estimate",
        help="what a batch would cost on AWS, before spending",
        description="Count the images in SOURCE (a folder or manifest) and print the cost of "
        "processing them on the stack: Bedrock, Lambda, Step Functions and S3 (us-east-1 list prices).",
    )
    estimate.add_argument(
        "source", type=Path, nargs="?", help="a folder or manifest (or use --count)"
    )
    estimate.add_argument("--count", type=int, help="number of images, instead of SOURCE")
    estimate.add_argument(
        "--model",
        default="stability",
        choices=AWS_MODELS,
        metavar="NAME",
        help=f"a model the stack runs: {', '.join(AWS_MODELS)} (default: stability)",
    )
    estimate.set_defaults(func=estimate_command)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        default=DEFAULT_STACK_NAME,
        help=f"CloudFormation stack name (default {DEFAULT_STACK_NAME})",
    )
    parser.add_argument("--region", default=None, help="default: your AWS configuration")


class CloudError(Exception):
    """The deployed stack cannot be reached or used; the message is one plain line."""


def _answering(command: Any) -> Any:
    """``command``, with AWS set-up problems as one line on stderr and exit 2, not a traceback."""

    def run(args: argparse.Namespace, **kwargs: Any) -> int:
        try:
            return command(args, **kwargs)
        except CloudError as error:
            print(f"bgremove: {error}", file=sys.stderr)
            return EXIT_REFUSED
        except Exception as error:
            message = aws_problem(error, args)
            if message is None:
                raise
            print(f"bgremove: {message}", file=sys.stderr)
            return EXIT_REFUSED

    run.__doc__ = command.__doc__
    return run


def aws_problem(error: Exception, args: argparse.Namespace) -> str | None:
    """One line saying what is wrong with the AWS set-up, or ``None`` for any other error."""
    from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

    if isinstance(error, NoCredentialsError):
        return (
            "no AWS credentials found: configure them (aws configure, AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID) and try again"
        )
    if isinstance(error, NoRegionError):
        return "no AWS region: pass --region or set AWS_REGION"
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "") or str(error)
        if code == "ValidationError" and "does not exist" in message:
            stack = getattr(args, "stack", DEFAULT_STACK_NAME)
            return f"stack {stack!r} not found: deploy it (make deploy) or pass --stack ({message})"
        return f"AWS refused {error.operation_name}: {code}: {message}"
    return None


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def state_machine_arn(outputs: dict[str, str], stack: str) -> str:
    """The batch state machine's ARN from the stack's outputs (``CloudError`` if absent)."""
    if "StateMachineArn" not in outputs:
        raise CloudError(f"stack {stack!r} has no StateMachineArn output: is it bgremove's stack?")
    return outputs["StateMachineArn"]


def _clients(args: argparse.Namespace) -> tuple[Any, Any]:
    import boto3

    session = boto3.Session(region_name=args.region)
    return session.client("cloudformation"), session.client("stepfunctions")


def start_command(
    args: argparse.Namespace, *, clients: tuple[Any, Any] | None = None, poll: float = 2.0
) -> int:
    cloudformation, sfn = clients or _clients(args)
    outputs = stack_outputs(cloudformation, args.stack)
    request: dict[str, Any] = (
        {"prefix": args.prefix} if args.prefix else {"manifest": args.manifest}
    )
    if getattr(args, "skip_done", False):
        request["options"] = {"skip_done": True}
    execution = sfn.start_execution(
        stateMachineArn=state_machine_arn(outputs, args.stack),
        name=new_run_id(),
        input=json.dumps(request),
    )["executionArn"]
    print(f"Started {execution}")
    region = execution.split(":")[3]
    print(
        f"Watch it: https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution}"
    )
    if not args.wait:
        return EXIT_OK
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
    return _finish(described)


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


def _finish(described: dict) -> int:
    status = described["status"]
    if status == "SUCCEEDED":
        summary = json.loads(described.get("output") or "{}")
        counts = summary.get("counts", {})
        print(
            f"Done: {counts.get('succeeded', 0)} succeeded, {counts.get('failed', 0)} failed, "
            f"{counts.get('skipped', 0)} skipped (of {counts.get('total', 0)})"
        )
        print(f"Report: {summary.get('report_url')}")
        return EXIT_ITEMS_FAILED if counts.get("failed") else EXIT_OK
    error, cause = described.get("error") or "", described.get("cause") or ""
    try:
        parsed = json.loads(cause)
        error, cause = parsed.get("errorType", error), parsed.get("errorMessage", cause)
    except (TypeError, ValueError, AttributeError):
        pass
    print(f"bgremove: the execution {status.lower()}: {error}: {cause}", file=sys.stderr)
    plan_errors = {
        n for n in errors.error_names() if issubclass(getattr(errors, n), errors.PlanError)
    }
    return EXIT_REFUSED if error in plan_errors else EXIT_ITEMS_FAILED


def status_command(args: argparse.Namespace, *, clients: tuple[Any, Any] | None = None) -> int:
    _, sfn = clients or _clients(args)
    described = sfn.describe_execution(executionArn=args.execution_arn)
    print(f"{described['name']}: {described['status']}")
    progress = MapRunProgress(sfn, args.execution_arn)
    counts = progress.counts()
    if counts:
        print("items: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    if described["status"] == "RUNNING":
        return EXIT_OK
    progress.report_failure()
    code = _finish(described)
    if getattr(args, "links", False) and described["status"] == "SUCCEEDED":
        fresh_links(json.loads(described["output"]), args)
    return code


def fresh_links(summary: dict, args: argparse.Namespace, *, s3: Any = None) -> Path:
    """Write the run's report with links signed now by the caller's credentials."""
    import boto3
    from botocore.config import Config

    from lambdas import layout, run_report, storage
    from lambdas.run_store import S3RunStore

    if not 1 <= args.expires <= 604_800:
        raise CloudError(f"--expires must be between 1 and 604800 seconds, not {args.expires}")
    s3 = s3 or boto3.client("s3", region_name=args.region, config=Config(signature_version="s3v4"))
    plan = storage.read_json(s3, summary["bucket"], layout.plan_key(summary["run_id"]))
    run = {**plan["run"], "url_expiry_seconds": args.expires}
    store = S3RunStore(run, s3=s3)
    report = run_report.build(store)
    out = args.out or Path(f"report-{summary['run_id']}")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in run_report.documents(report).items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"Fresh links until {report['links_expire_at']}: {out / 'index.html'}")
    return out


def estimate_command(args: argparse.Namespace) -> int:
    if args.count is None and args.source is None:
        print("bgremove: give SOURCE or --count", file=sys.stderr)
        return EXIT_REFUSED
    count = args.count if args.count is not None else _count_images(args.source)
    try:
        table = estimate_costs(count, args.model)
    except KeyError:
        print(f"bgremove: unknown model {args.model!r}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{count:,} images with {args.model} on AWS (us-east-1 list prices):")
    width = max(len(row[0]) for row in table)
    print(f"  {'':{width}}  {'this batch':>12}  {'per 1,000':>10}")
    for name, total, per_thousand in table:
        print(f"  {name:{width}}  ${total:>11,.4f}  ${per_thousand:>9,.4f}")
    return EXIT_OK


def _count_images(source: Path) -> int:
    from manifests.parsing import manifest_kind, parse_manifest

    if source.is_dir():
        from lambdas.run_store.local import walk_sources

        return len(walk_sources(source))  # what ``bgremove run`` would take
    if manifest_kind(source.name):
        return len(parse_manifest(source.read_bytes(), name=source.name).entries)
    return 1
