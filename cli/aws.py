"""Reaching the deployed stack: its options, its clients, and AWS set-up problems in one line."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any

from cli.exit_codes import ExitCode
from workflow.names import DEFAULT_STACK_NAME


class CloudError(Exception):
    """The deployed stack cannot be reached or used; the message is one plain line."""


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """``--stack`` and ``--region``, which every command on the deployed stack takes."""
    parser.add_argument(
        "--stack",
        default=DEFAULT_STACK_NAME,
        help=f"CloudFormation stack name (default {DEFAULT_STACK_NAME})",
    )
    parser.add_argument("--region", default=None, help="default: your AWS configuration")


def answering(command: Callable[..., int]) -> Callable[..., int]:
    """``command``, with AWS set-up problems as one line on stderr and exit 2, not a traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace, **kwargs: Any) -> int:
        try:
            return command(args, **kwargs)
        except CloudError as error:
            print(f"bgremove: {error}", file=sys.stderr)
            return ExitCode.REFUSED
        except Exception as error:
            message = aws_problem(error, args)
            if message is None:
                raise
            print(f"bgremove: {message}", file=sys.stderr)
            return ExitCode.REFUSED

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


def clients(args: argparse.Namespace) -> tuple[Any, Any]:
    """CloudFormation and Step Functions clients in ``--region``."""
    import boto3

    session = boto3.Session(region_name=args.region)
    return session.client("cloudformation"), session.client("stepfunctions")


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's outputs by key."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def state_machine_arn(outputs: dict[str, str], stack: str) -> str:
    """The batch state machine's ARN from the stack's outputs (``CloudError`` if absent)."""
    if "StateMachineArn" not in outputs:
        raise CloudError(f"stack {stack!r} has no StateMachineArn output: is it bgremove's stack?")
    return outputs["StateMachineArn"]
