"""Node tools the tests use (velocityjs, asl-validator), installed from package-lock.json.

A test that needs them is skipped, with the reason, only when node itself is absent;
with node present, missing packages are a failure that says to run ``npm ci``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"


def node() -> str:
    """The node executable, or skip the test (with the reason) when there is none."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: the Velocity and ASL checks run under node")
    if not (NODE_MODULES / "velocityjs").is_dir() or not (NODE_MODULES / "asl-validator").is_dir():
        pytest.fail("node packages missing: run `npm ci` at the repository root (make venv does)")
    return found


def run_node(script: Path, payload: Any) -> Any:
    """Run ``script`` with ``payload`` as JSON on stdin; return its JSON stdout."""
    done = subprocess.run(
        [node(), str(script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
