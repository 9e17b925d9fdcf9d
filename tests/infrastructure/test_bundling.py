"""Lambda code bundles without Docker: our packages plus arm64 wheels for Python 3.13."""

import subprocess
import sys

import pytest

from lambdas.reporting.page import TEMPLATES
from workflow.bundling import LocalPythonBundling

RENDER_A_PAGE = """
import sys
from lambdas import reporting
item = {"item_id": "000001", "source": "<b>cat</b>.png", "source_key": "k", "output_key": "o.png"}
run = {"run_id": "r", "bucket": "b", "engine": "aws", "model": "m", "warnings": []}
sys.stdout.write(reporting.to_html(reporting.build_report(run, [item], {}, str)))
"""


@pytest.mark.slow
def test_bundle_holds_handlers_and_arm64_wheels(tmp_path):
    try:
        assert LocalPythonBundling(with_dependencies=True).try_bundle(str(tmp_path)) is True
    except subprocess.CalledProcessError as error:  # pragma: no cover - depends on the network
        pytest.skip(f"the package registry is unreachable here: {error}")
    assert (tmp_path / "lambdas" / "handlers" / "plan.py").is_file()
    assert (tmp_path / "manifests" / "parsing.py").is_file()
    libraries = [path.name for path in tmp_path.rglob("*.so")]
    assert any("aarch64" in name for name in libraries), libraries[:5]
    assert any(name.startswith("_multiarray_umath.cpython-313") for name in libraries)
    assert not list(tmp_path.rglob("__pycache__"))
    # The Report Lambda renders the page from the bundle alone: Jinja2, MarkupSafe and the
    # templates (-S: none of this venv's packages; MarkupSafe's arm64 speedups fall back
    # to its pure-Python escape here).
    page = subprocess.run(
        [sys.executable, "-S", "-c", RENDER_A_PAGE],
        env={"PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "<h1>Background removal: 1 image</h1>" in page
    assert "&lt;b&gt;cat&lt;/b&gt;.png" in page


def test_bundle_holds_the_report_page_templates(tmp_path):
    """The Report Lambda renders index.html: the templates travel with the package."""
    assert LocalPythonBundling(with_dependencies=False).try_bundle(str(tmp_path)) is True
    templates = tmp_path / "lambdas" / "reporting" / "templates"
    shipped = sorted(path.name for path in templates.iterdir())
    assert shipped == sorted(path.name for path in TEMPLATES.iterdir())
    assert {"report.html.j2", "cards.html.j2", "report.css"} <= set(shipped)
