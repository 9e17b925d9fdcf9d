"""``bgremove estimate``: what a batch would cost on the deployed stack, before spending."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.exit_codes import ExitCode
from lambdas.errors import ModelUnusableError
from lambdas.models.catalog import AWS_MODELS
from workflow.config import StackConfig
from workflow.prices import PRICE_REGION, estimate_costs


def add_parser(commands: Any) -> None:
    """Register ``estimate`` with ``commands`` (an ``add_subparsers`` result)."""
    estimate = commands.add_parser(
        "estimate",
        help="what a batch would cost on AWS, before spending",
        description="Count the images in SOURCE (a folder or manifest) and print the cost of "
        "processing them on the stack: Bedrock, Lambda, Step Functions and S3 "
        f"({PRICE_REGION} list prices).",
    )
    estimate.add_argument(
        "source", type=Path, nargs="?", help="a folder or manifest (or use --count)"
    )
    estimate.add_argument("--count", type=int, help="number of images, instead of SOURCE")
    # the model a stack deployed with the defaults runs
    model = StackConfig.model_validate({}).model
    estimate.add_argument(
        "--model",
        default=model,
        choices=AWS_MODELS,
        metavar="NAME",
        help=f"a model the stack runs: {', '.join(AWS_MODELS)} (default: {model})",
    )
    estimate.set_defaults(func=estimate_command)


def estimate_command(args: argparse.Namespace) -> int:
    """Print the cost table for SOURCE's images (or ``--count`` images) with ``--model``."""
    if args.count is None and args.source is None:
        print("bgremove: give SOURCE or --count", file=sys.stderr)
        return ExitCode.REFUSED
    count = args.count if args.count is not None else _count_images(args.source)
    try:
        table = estimate_costs(count, args.model)
    except KeyError:
        print(f"bgremove: {ModelUnusableError.unknown(args.model, AWS_MODELS)}", file=sys.stderr)
        return ExitCode.REFUSED
    print(f"{count:,} images with {args.model} on AWS ({PRICE_REGION} list prices):")
    width = max(len(row[0]) for row in table)
    print(f"  {'':{width}}  {'this batch':>12}  {'per 1,000':>10}")
    for name, total, per_thousand in table:
        print(f"  {name:{width}}  ${total:>11,.4f}  ${per_thousand:>9,.4f}")
    return ExitCode.OK


def _count_images(source: Path) -> int:
    from manifests.parsing import manifest_kind, parse_manifest

    if source.is_dir():
        from lambdas.run_store.local import walk_sources

        return len(walk_sources(source))  # what ``bgremove run`` would take
    if manifest_kind(source.name):
        return len(parse_manifest(source.read_bytes(), name=source.name).entries)
    return 1
