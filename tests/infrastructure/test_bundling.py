"""Lambda code bundles without Docker: our packages plus arm64 wheels for Python 3.13."""

import subprocess

import pytest

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
