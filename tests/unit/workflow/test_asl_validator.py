"""Every state-machine definition passes asl-validator (the ASL schema and its path checks).

moto's interpreter accepts things AWS refuses; asl-validator (npm, pinned in
package-lock.json) checks the documents as AWS's schema defines them.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.node_tools import NODE_MODULES, ROOT, node
from workflow.config import StackConfig, workflow_settings
from workflow.definition import FUNCTIONS, build_definition, build_single_image_definition
from workflow.single_image_api import SyncBudget, build_answer_definition

VALIDATOR = NODE_MODULES / "asl-validator" / "dist" / "bin" / "asl-validator.js"
ARNS = {
    name: f"arn:aws:lambda:us-east-1:123456789012:function:bgremove-{name}" for name in FUNCTIONS
}
IMAGE_RUN = "arn:aws:states:us-east-1:123456789012:stateMachine:bgremove-single-image-run"
EXECUTIONS = "arn:aws:states:us-east-1:123456789012:execution:bgremove-single-image-run"
DEPLOYED = workflow_settings(StackConfig())

DEFINITIONS = {
    "batch (defaults)": build_definition(ARNS),
    "batch (deployed settings)": build_definition(ARNS, DEPLOYED),
    "single image run (defaults)": build_single_image_definition(ARNS),
    "single image run (deployed settings)": build_single_image_definition(ARNS, DEPLOYED),
    "single image answer": build_answer_definition(IMAGE_RUN, EXECUTIONS),
    "single image answer (short budget)": build_answer_definition(
        IMAGE_RUN, EXECUTIONS, SyncBudget(poll_seconds=1, max_polls=1, timeout_seconds=5)
    ),
}


def _missing_target(definition: dict) -> None:
    definition["States"]["Next poll"]["Next"] = "No such state"


def _bad_path(definition: dict) -> None:
    definition["States"]["Read cutout"]["Parameters"] = {"summary.$": "not a path"}


BROKEN = {"missing target": _missing_target, "bad path": _bad_path}


def broken(name: str) -> dict:
    definition = build_answer_definition(IMAGE_RUN, EXECUTIONS)
    BROKEN[name](definition)
    return definition


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[str, str | None]:
    """asl-validator's verdict on every definition, good and broken, from one node run:
    ``None`` when valid, else what it printed about that definition."""
    folder = tmp_path_factory.mktemp("definitions")
    documents = {**DEFINITIONS, **{f"broken: {name}": broken(name) for name in BROKEN}}
    paths = {}
    for index, (name, definition) in enumerate(documents.items()):
        paths[name] = folder / f"definition-{index}.json"
        paths[name].write_text(json.dumps(definition))
    arguments = [argument for path in paths.values() for argument in ("--json-path", str(path))]
    done = subprocess.run(
        [node(), str(VALIDATOR), *arguments], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    # One block per definition: "✓ State machine definition "<path>" is valid" on stdout,
    # or "✕ State machine definition "<path>" is invalid:" and its errors on stderr.
    blocks = (done.stdout + done.stderr).split("State machine definition ")
    said = {block.split('"')[1]: block for block in blocks[1:]}
    assert set(said) == {str(path) for path in paths.values()}, done.stdout + done.stderr
    return {
        name: None if said[str(path)].startswith(f'"{path}" is valid') else said[str(path)]
        for name, path in paths.items()
    }


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_definition_is_valid_asl(name, verdicts):
    assert verdicts[name] is None, verdicts[name]


@pytest.mark.parametrize(
    ("name", "complaint"),
    [("missing target", "No such state"), ("bad path", "Read cutout/Parameters/summary.$")],
)
def test_the_validator_refuses_a_broken_definition(name, complaint, verdicts):
    verdict = verdicts[f"broken: {name}"]
    assert verdict is not None and complaint in verdict
