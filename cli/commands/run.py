"""``bgremove run``: a folder, an image or a manifest on the local engine (no AWS account)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.commands.models import model_help
from cli.exit_codes import ExitCode
from cli.run_summary import print_outcome, summary
from lambdas import errors
from lambdas.models.catalog import CATALOG
from lambdas.settings import OUTPUT_FORMATS, Settings

if TYPE_CHECKING:
    from workflow.local_engine import RunOutcome

#: Where cutouts go without ``--out`` (relative to the working folder).
DEFAULT_OUT = Path("cutouts")


def add_parser(commands: Any) -> None:
    """Register ``run`` with ``commands`` (an ``add_subparsers`` result)."""
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
        default=DEFAULT_OUT,
        help=f"output folder (default: ./{DEFAULT_OUT}); the same command run again into it "
        "keeps what is done and processes the rest",
    )
    _add_model_arguments(run)
    _add_output_arguments(run)
    _add_engine_arguments(run)
    run.set_defaults(func=run_command)


def _add_model_arguments(run: argparse.ArgumentParser) -> None:
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
        default=Settings().time_scale,
        metavar="F",
        help="multiply retry waits and simulated latency by F (rehearsals: 0.01)",
    )
    run.add_argument("--model-path", default=None, help="the .onnx file for --model onnx")


def _add_output_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default=None,
        help=f"output format (default: {Settings().output_format})",
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


def _add_engine_arguments(run: argparse.ArgumentParser) -> None:
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
        help=f"presigned URL lifetime for S3 runs (default: {Settings().url_expiry_seconds})",
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


def refusal(args: argparse.Namespace) -> str | None:
    """Why the run cannot start, from the arguments alone (``None`` if it can)."""
    if not args.source.exists():
        return f"{args.source} does not exist"
    if args.out.exists() and not args.out.is_dir():
        return f"--out {args.out} is a file, not a folder"
    if args.source.is_dir() and args.out.resolve() == args.source.resolve():
        return (
            f"--out {args.out} is the folder of photos itself: "
            "choose another folder for the cutouts"
        )
    if args.concurrency is not None and args.concurrency < 1:
        return "--concurrency must be at least 1"
    return None


def run_command(args: argparse.Namespace) -> int:
    """Run SOURCE on the local engine into ``--out`` and print how it went."""
    reason = refusal(args)
    if reason is not None:
        print(f"bgremove: {reason}", file=sys.stderr)
        return ExitCode.REFUSED
    if not _fetch_weights(args):
        return ExitCode.REFUSED
    outcome, elapsed = _run(args)
    if args.json:
        print(json.dumps(summary(outcome, elapsed), indent=2))
    else:
        print_outcome(outcome, elapsed)
    if outcome.abandoned:
        # A second Ctrl-C: the images still in flight are not waited for. What finished
        # is on disk and in the report; the same command finishes the rest.
        with contextlib.suppress(BrokenPipeError):  # a closed pipe must not keep us waiting
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(outcome.exit_code)
    return outcome.exit_code


def _fetch_weights(args: argparse.Namespace) -> bool:
    """Fetch a pretrained model before the run, with a progress bar of its own.

    Plan checks it again (a manifest may name a model too). ``False`` if it cannot be had.
    """
    weights = CATALOG[args.model].weights if args.model else None
    if weights is None:
        return True
    from lambdas.models.pretrained import ensure_weights

    try:
        ensure_weights(args.model, weights, progress=not args.quiet and not args.json)
    except errors.ModelUnusableError as error:
        print(f"bgremove: cannot start: {error}", file=sys.stderr)
        print("Nothing was processed and nothing was written.", file=sys.stderr)
        return False
    return True


def _run(args: argparse.Namespace) -> tuple[RunOutcome, float]:
    """The local engine's ``RunOutcome`` (with a progress bar on stderr) and its seconds."""
    from cli.progress import ProgressBar
    from workflow.local_engine import LocalEngine

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
    return outcome, time.monotonic() - started
