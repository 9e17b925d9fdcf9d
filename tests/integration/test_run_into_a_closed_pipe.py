"""``bgremove run … | head``: the run finishes its work and ends quietly when its reader has gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli.exit_codes import ExitCode
from tests.unit.cli.test_closed_output import run_into_closed_pipe

ROOT = Path(__file__).resolve().parents[2]


def test_run_into_a_closed_pipe(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(ROOT / "samples" / "photos" / "coffee.jpg", photos)
    out = tmp_path / "out"
    result = run_into_closed_pipe(
        "run", str(photos), "--out", str(out), "--no-cache", "--quiet", cwd=tmp_path
    )
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.stderr == ""
    assert result.returncode == ExitCode.OUTPUT_CLOSED
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["succeeded"] == 1  # the work is done; only the summary is lost
    assert (out / "coffee_bg_removed.png").is_file()
