"""``bgremove … | head``: a reader that stops early ends the command quietly, as Unix tools do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[3]


def run_into_closed_pipe(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m cli.main ARGS`` with stdout a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=300,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [["models"], ["estimate", "--count", "10"]])
def test_a_closed_pipe_ends_quietly(args):
    result = run_into_closed_pipe(*args)
    assert result.stderr == ""
    assert result.returncode == ExitCode.OUTPUT_CLOSED == 141


def test_help_into_a_closed_pipe_ends_quietly():
    result = run_into_closed_pipe("run", "--help")
    assert result.stderr == ""  # argparse drops a help text it cannot write
    assert result.returncode in (ExitCode.OK, ExitCode.OUTPUT_CLOSED)


def test_an_open_pipe_is_unchanged():
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "models"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == ExitCode.OK and "stability" in result.stdout
