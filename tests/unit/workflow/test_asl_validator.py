"""Every state-machine definition passes asl-validator (the ASL schema and its path checks).

moto's interpreter accepts things AWS refuses; asl-validator (npm, pinned in
package-lock.json) checks the documents as AWS's schema defines them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

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


def validate(definition: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(
        [node(), str(VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_definition_is_valid_asl(name, tmp_path):
    done = validate(DEFINITIONS[name], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def _missing_target(definition: dict) -> None:
    definition["States"]["Next poll"]["Next"] = "No such state"


def _bad_path(definition: dict) -> None:
    definition["States"]["Read cutout"]["Parameters"] = {"summary.$": "not a path"}


@pytest.mark.parametrize(
    ("breaks", "complaint"),
    [(_missing_target, "No such state"), (_bad_path, "Read cutout/Parameters/summary.$")],
)
def test_the_validator_refuses_a_broken_definition(breaks, complaint, tmp_path):
    broken = build_answer_definition(IMAGE_RUN, EXECUTIONS)
    breaks(broken)
    done = validate(broken, tmp_path)
    assert done.returncode != 0
    assert complaint in done.stdout + done.stderr
