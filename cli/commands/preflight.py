"""``bgremove preflight``: can a model be used here (region, access, lifecycle)?"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.exit_codes import ExitCode
from lambdas import errors
from lambdas.models.catalog import CATALOG


def add_parser(commands: Any) -> None:
    """Register ``preflight`` with ``commands`` (an ``add_subparsers`` result)."""
    check = commands.add_parser(
        "preflight",
        help="check a model can be used: region, access, lifecycle",
        description="Ask Bedrock whether MODEL can run in REGION (needs AWS credentials "
        f"for Bedrock models); exit {ExitCode.OK:d} usable, {ExitCode.REFUSED:d} not.",
    )
    check.add_argument("--model", required=True, choices=sorted(CATALOG), metavar="NAME")
    check.add_argument("--region", default=None, help="default: AWS_REGION or us-east-1")
    check.set_defaults(func=preflight_command)


def preflight_command(args: argparse.Namespace) -> int:
    """Print whether ``--model`` is usable in ``--region`` (and any warnings)."""
    import boto3

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
        return ExitCode.REFUSED
    except Exception as error:  # no credentials, no network: say so plainly
        print(f"bgremove: could not check {args.model} in {region}: {error}", file=sys.stderr)
        return ExitCode.REFUSED
    for warning in result.warnings:
        print(f"warning: {warning}")
    print(f"{args.model} ({result.model_id or 'offline'}) is usable in {region}: {result.status}")
    return ExitCode.OK
