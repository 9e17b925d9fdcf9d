"""The ``bgremove`` command line: one module per subcommand under ``cli/commands/``.

``bgremove run SOURCE`` processes a folder, an image or a manifest on the local
engine. Exit codes (``cli/exit_codes.py``): 0 every item succeeded or was skipped,
1 an item failed (the report says which and why), 2 nothing could start (and
nothing was written).
"""

from __future__ import annotations

import argparse
import os
import sys

from cli.commands import COMMANDS
from cli.exit_codes import ExitCode
from lambdas import errors


def build_parser() -> argparse.ArgumentParser:
    """The ``bgremove`` parser, with every subcommand's arguments and handler."""
    parser = argparse.ArgumentParser(
        prog="bgremove",
        description="Remove the background of every image in a folder, a manifest or an S3 prefix.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand ``argv`` names and return its exit code."""
    try:
        try:
            return _dispatch(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows here (even after --help), not at exit
    except BrokenPipeError:
        return _output_closed()


def _dispatch(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except errors.PlanError as error:
        print(f"bgremove: {error}", file=sys.stderr)
        return ExitCode.REFUSED


def _output_closed() -> int:
    """The reader of stdout went away (``bgremove … | head``): stop quietly, as Unix tools do.

    stdout is pointed at /dev/null so that the interpreter's last flush cannot fail too.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return ExitCode.OUTPUT_CLOSED


if __name__ == "__main__":
    sys.exit(main())
