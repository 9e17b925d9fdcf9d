"""Lambda code bundles without Docker: our packages plus arm64 wheels for Python 3.13."""

import subprocess

import pytest

from lambdas.reporting.page import TEMPLATES
from workflow.bundling import LocalPythonBundling


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


def test_bundle_holds_the_report_page_templates(tmp_path):
    """The Report Lambda renders index.html: the templates travel with the package."""
    assert LocalPythonBundling(with_dependencies=False).try_bundle(str(tmp_path)) is True
    templates = tmp_path / "lambdas" / "reporting" / "templates"
    shipped = sorted(path.name for path in templates.iterdir())
    assert shipped == sorted(path.name for path in TEMPLATES.iterdir())
    assert {"report.html.j2", "card.html.j2", "report.css"} <= set(shipped)
