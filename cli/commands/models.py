"""``bgremove models``: every model in the registry, where it runs and its weights' licence."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from cli.exit_codes import ExitCode
from lambdas.models.catalog import CATALOG, ModelFacts


def add_parser(commands: Any) -> None:
    """Register ``models`` with ``commands`` (an ``add_subparsers`` result)."""
    models = commands.add_parser(
        "models", help="list the models: where each runs and its weights' licence"
    )
    models.set_defaults(func=models_command)


def models_command(args: argparse.Namespace) -> int:
    """Print every model in the registry: where it runs and its weights' licence."""
    for name in sorted(CATALOG):
        facts = CATALOG[name]
        print(f"{name:22} {facts.summary}")
        print(f"{'':22} engines: {', '.join(facts.engines)}; weights: {facts.licence}")
    return ExitCode.OK


def model_help() -> str:
    """``--model``'s help, from the registry."""

    def names(keep: Callable[[ModelFacts], Any]) -> str:
        return ", ".join(name for name in sorted(CATALOG) if keep(CATALOG[name]))

    return (
        "local (default: offline, no download); on Bedrock: "
        + names(lambda facts: facts.model_id)
        + "; pretrained, fetched once into U2NET_HOME (default ~/.u2net) as rembg does: "
        + names(lambda facts: facts.weights)
        + "; onnx (your own file, --model-path). `bgremove models` lists each with its "
        "weights' licence"
    )
