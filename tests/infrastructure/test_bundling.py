"""Lambda code bundles without Docker: our packages plus arm64 wheels for Python 3.13."""

import re
import subprocess
import sys
from pathlib import Path

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
#: ELF's e_machine for 64-bit ARM (Lambda's arm64 architecture).
EM_AARCH64 = 183
#: Newest glibc a wheel may need: Lambda's python3.13 runtime (Amazon Linux 2023) has 2.34.
LAMBDA_GLIBC = (2, 34)
#: Handlers that decode a source photo (Validate, the resize step, Store).
DECODING_HANDLERS = ("validate", "resize", "store")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    try:
        assert LocalPythonBundling(with_dependencies=True).try_bundle(str(out)) is True
    except subprocess.CalledProcessError as error:  # pragma: no cover - depends on the network
        pytest.skip(f"the package registry is unreachable here: {error}")
    return out


def is_aarch64_elf(path: Path) -> bool:
    header = path.read_bytes()[:20]
    return header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == EM_AARCH64


def glibc_needed(tag: str) -> tuple[int, int] | None:
    """The glibc a wheel tag's platform asks for (``None``: pure Python)."""
    platform = tag.split("-")[-1]
    if platform == "any":
        return None
    if platform == "manylinux2014_aarch64":
        return (2, 17)
    found = re.fullmatch(r"manylinux_(\d+)_(\d+)_aarch64", platform)
    assert found, f"not a Linux arm64 wheel: {tag}"
    return int(found[1]), int(found[2])


@pytest.mark.slow
def test_bundle_holds_handlers_and_arm64_wheels(bundle):
    assert (bundle / "lambdas" / "handlers" / "plan.py").is_file()
    assert (bundle / "manifests" / "parsing.py").is_file()
    libraries = [path.name for path in bundle.rglob("*.so")]
    assert any("aarch64" in name for name in libraries), libraries[:5]
    assert any(name.startswith("_multiarray_umath.cpython-313") for name in libraries)
    assert not list(bundle.rglob("__pycache__"))
    # The Report Lambda renders the page from the bundle alone: Jinja2, MarkupSafe and the
    # templates (-S: none of this venv's packages; MarkupSafe's arm64 speedups fall back
    # to its pure-Python escape here).
    page = subprocess.run(
        [sys.executable, "-S", "-c", RENDER_A_PAGE],
        env={"PYTHONPATH": str(bundle)},
        cwd=bundle,
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


@pytest.mark.slow
def test_every_wheel_in_the_bundle_runs_on_lambda_s_glibc(bundle):
    wheels = list(bundle.glob("*.dist-info/WHEEL"))
    assert len(wheels) > 5
    for wheel in wheels:
        lines = wheel.read_text().splitlines()
        needs = [glibc_needed(line.removeprefix("Tag: ")) for line in lines if "Tag: " in line]
        assert any(need is None or need <= LAMBDA_GLIBC for need in needs), wheel.parent.name


@pytest.mark.slow
def test_the_bundle_decodes_heic(bundle):
    """pillow-heif's arm64 wheel is in the bundle under the names validation imports."""
    validation = (bundle / "lambdas" / "imaging" / "validation.py").read_text()
    assert "import pillow_heif" in validation and "register_heif_opener()" in validation
    package = bundle / "pillow_heif"
    assert (package / "__init__.py").is_file()
    # The package loads its decoder from the top-level extension module ``_pillow_heif``
    # (and defers an ImportError to first use, so its presence is checked here).
    imports = "".join(path.read_text() for path in package.glob("*.py"))
    assert re.search(r"^\s*import _pillow_heif$", imports, re.MULTILINE)
    (extension,) = bundle.glob("_pillow_heif.cpython-313-aarch64-linux-gnu.so")
    assert is_aarch64_elf(extension)
    decoders = list((bundle / "pillow_heif.libs").glob("libheif-*.so*"))
    decoders += list((bundle / "pillow_heif.libs").glob("libde265-*.so*"))  # HEVC decoding
    assert len(decoders) == 2 and all(is_aarch64_elf(path) for path in decoders), decoders
    (dist_info,) = bundle.glob("pillow_heif-1.8.1.dist-info")
    top_level = set((dist_info / "top_level.txt").read_text().split())
    assert top_level == {"pillow_heif", "_pillow_heif"}


@pytest.mark.parametrize("handler", DECODING_HANDLERS)
def test_each_decoding_handler_registers_the_heif_opener_on_import(handler):
    """A Lambda imports only its own handler: that alone must register HEIF with Pillow."""
    probe = (
        f"import lambdas.handlers.{handler}\n"
        "from PIL import Image\n"
        "from lambdas.imaging import validation\n"
        "assert 'HEIF' in Image.OPEN and 'HEIF' in validation.READABLE\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=Path(__file__).parents[2])
