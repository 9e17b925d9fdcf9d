"""The ``bgremove`` command line.

``bgremove run SOURCE`` processes a folder, an image or a manifest on the local
engine. Exit codes: 0 every item succeeded or was skipped, 1 an item failed (the
report says which and why), 2 nothing could start (and nothing was written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from lambdas import errors
from lambdas.models.catalog import CATALOG
from lambdas.settings import OUTPUT_FORMATS

EXIT_OK, EXIT_ITEMS_FAILED, EXIT_REFUSED = 0, 1, 2


def model_help() -> str:
    """``--model``'s help, from the registry."""

    def names(keep) -> str:
        return ", ".join(name for name in sorted(CATALOG) if keep(CATALOG[name]))

    return (
        "local (default: offline, no download); on Bedrock: "
        + names(lambda facts: facts.model_id)
        + "; pretrained, fetched once into U2NET_HOME (default ~/.u2net) as rembg does: "
        + names(lambda facts: facts.weights)
        + "; onnx (your own file, --model-path). `bgremove models` lists each with its "
        "weights' licence"
    )


def models_command(args: argparse.Namespace) -> int:
    """Print every model in the registry: where it runs and its weights' licence."""
    for name in sorted(CATALOG):
        facts = CATALOG[name]
        print(f"{name:22} {facts.summary}")
        print(f"{'':22} engines: {', '.join(facts.engines)}; weights: {facts.licence}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bgremove",
        description="Remove the background of every image in a folder, a manifest or an S3 prefix.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="process a folder, an image or a manifest on the local engine (no AWS account)",
        description="Run the batch workflow on the local engine and write cutouts, "
        "report.json, report.csv and index.html into --out.",
    )
    run.add_argument(
        "source", type=Path, help="a folder of images, one image, or a .json/.csv manifest"
    )
    run.add_argument(
        "--out",
        type=Path,
        default=Path("cutouts"),
        help="output folder (default: ./cutouts); the same command run again into it "
        "keeps what is done and processes the rest",
    )
    run.add_argument(
        "--model", default=None, choices=sorted(CATALOG), metavar="NAME", help=model_help()
    )
    run.add_argument(
        "--simulate",
        default=None,
        metavar="SPEC",
        help="answer Bedrock models from a simulated Bedrock, e.g. "
        "'throttle=0.3,fail=0.05,error=0.01,latency_ms=50,rpm=600,seed=7'",
    )
    run.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply retry waits and simulated latency by F (rehearsals: 0.01)",
    )
    run.add_argument("--model-path", default=None, help="the .onnx file for --model onnx")
    run.add_argument(
        "--format", choices=OUTPUT_FORMATS, default=None, help="output format (default: png)"
    )
    run.add_argument(
        "--mask", action="store_true", help="write the mask alone (white subject on black)"
    )
    run.add_argument(
        "--bg-color",
        default=None,
        metavar="HEX",
        help="put the subject on this colour, e.g. '#ffffff' or '#00000080' (with alpha)",
    )
    run.add_argument("--crop", action="store_true", help="crop to the subject")
    run.add_argument(
        "--margin",
        default=None,
        help="with --crop: pixels (20) or a percentage of the subject (5%%) around it",
    )
    run.add_argument(
        "--max-size", type=int, default=None, metavar="PX", help="cap the output's longest side"
    )
    run.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="images in flight at once (default: what this machine fits for offline models, "
        "the model's default quota for Bedrock models)",
    )
    run.add_argument(
        "--url-expiry",
        type=int,
        default=None,
        metavar="SECONDS",
        help="presigned URL lifetime for S3 runs (default: 3600)",
    )
    run.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where masks are kept between runs (default: ~/.cache/bgremove)",
    )
    run.add_argument("--no-cache", action="store_true", help="neither use nor keep cached masks")
    run.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.set_defaults(func=run_command)

    check = commands.add_parser(
        "preflight",
        help="check a model can be used: region, access, lifecycle",
        description="Ask Bedrock whether MODEL can run in REGION (needs AWS credentials "
        "for Bedrock models); exit 0 usable, 2 not.",
    )
    check.add_argument("--model", required=True, choices=sorted(CATALOG), metavar="NAME")
    check.add_argument("--region", default=None, help="default: AWS_REGION or us-east-1")
    check.set_defaults(func=preflight_command)

    models = commands.add_parser(
        "models", help="list the models: where each runs and its weights' licence"
    )
    models.set_defaults(func=models_command)

    from cli import cloud

    cloud.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except errors.PlanError as error:
        print(f"bgremove: {error}", file=sys.stderr)
        return EXIT_REFUSED


def preflight_command(args: argparse.Namespace) -> int:
    import boto3

    from lambdas.models.catalog import CATALOG
    from lambdas.models.preflight import preflight
    from lambdas.settings import aws_region

    region = args.region or aws_region()
    client = None
    if args.model in CATALOG and CATALOG[args.model].model_id:
        client = boto3.client("bedrock", region_name=region)
    try:
        result = preflight(args.model, region=region, bedrock_client=client)
    except errors.PlanError as error:
        print(f"bgremove: {args.model} cannot be used: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as error:  # no credentials, no network: say so plainly
        print(f"bgremove: could not check {args.model} in {region}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    for warning in result.warnings:
        print(f"warning: {warning}")
    print(f"{args.model} ({result.model_id or 'offline'}) is usable in {region}: {result.status}")
    return EXIT_OK


def run_command(args: argparse.Namespace) -> int:
    from cli.progress import ProgressBar
    from workflow.local_engine import LocalEngine

    if not args.source.exists():
        print(f"bgremove: {args.source} does not exist", file=sys.stderr)
        return EXIT_REFUSED
    if args.out.exists() and not args.out.is_dir():
        print(f"bgremove: --out {args.out} is a file, not a folder", file=sys.stderr)
        return EXIT_REFUSED
    if args.source.is_dir() and args.out.resolve() == args.source.resolve():
        print(
            f"bgremove: --out {args.out} is the folder of photos itself: "
            "choose another folder for the cutouts",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    if args.concurrency is not None and args.concurrency < 1:
        print("bgremove: --concurrency must be at least 1", file=sys.stderr)
        return EXIT_REFUSED
    weights = CATALOG[args.model].weights if args.model else None
    if weights is not None:
        # Fetch a pretrained model before the run, with a progress bar of its own;
        # Plan checks it again (a manifest may name a model too).
        from lambdas.models.pretrained import ensure_weights

        try:
            ensure_weights(args.model, weights, progress=not args.quiet and not args.json)
        except errors.ModelUnusableError as error:
            print(f"bgremove: cannot start: {error}", file=sys.stderr)
            print("Nothing was processed and nothing was written.", file=sys.stderr)
            return EXIT_REFUSED

    bar = ProgressBar(enabled=not args.quiet and not args.json)

    def stopping(in_flight: int) -> None:
        images = f"{in_flight} image{'s' if in_flight != 1 else ''} in flight"
        bar.message(
            f"stopping: finishing {images} — press Ctrl-C again to stop now"
            if in_flight
            else "stopping: no image in flight"
        )

    output = {
        "mask": args.mask or None,
        "bg_color": args.bg_color,
        "crop": args.crop or None,
        "margin": args.margin,
        "max_size": args.max_size,
    }
    engine = LocalEngine(
        output_options={name: value for name, value in output.items() if value is not None},
        model=args.model,
        output_format=args.format,
        concurrency=args.concurrency,
        url_expiry_seconds=args.url_expiry,
        simulate=args.simulate,
        model_path=args.model_path,
        retry_clock_scale=args.time_scale,
        on_progress=bar.update,
        on_stopping=stopping,
    )
    if args.no_cache:
        engine.cache_dir = None
    elif args.cache_dir is not None:
        engine.cache_dir = args.cache_dir
    started = time.monotonic()
    try:
        outcome = engine.run(args.source, args.out)
    finally:
        bar.close()
    elapsed = time.monotonic() - started

    if args.json:
        print(json.dumps(_summary(outcome, elapsed), indent=2))
    else:
        _print_outcome(outcome, elapsed)
    if outcome.abandoned:
        # A second Ctrl-C: the images still in flight are not waited for. What finished
        # is on disk and in the report; the same command finishes the rest.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(outcome.exit_code)
    return outcome.exit_code


def _summary(outcome, elapsed: float) -> dict:
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


def _print_outcome(outcome, elapsed: float) -> None:
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
    unfinished = report.get("failure_reasons", {}).get("NotProcessedError", 0)
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
        if item.get("status") == "failed" and item["error"]["type"] != "NotProcessedError"
    ]
    for item in failed[:limit]:
        error = item.get("error") or {}
        print(f"  failed  {item['source']}: {error.get('message')} ({error.get('type')})")
    if len(failed) > limit:
        print(f"  … and {len(failed) - limit} more failures: see report.csv")


def _print_unexpected(outcome) -> None:
    if outcome.unexpected_errors:
        print(
            f"bgremove: {len(outcome.unexpected_errors)} unexpected error(s) (a bug: please report it). First:",
            file=sys.stderr,
        )
        print(outcome.unexpected_errors[0], file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
