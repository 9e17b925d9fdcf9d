"""Lambda code bundling without Docker: copy our packages, pip-install arm64 wheels.

CDK calls ``try_bundle`` instead of starting a container. Dependencies are
installed once per requirements file into ``.bundle-cache/<hash>`` and copied
from there, so repeated synths are fast. Context ``bundle_dependencies=false``
skips them (unit tests synthesize the template without the network).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import ILocalBundling

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lambdas", "manifests")
REQUIREMENTS = ROOT / "lambdas" / "requirements-lambda.txt"
CACHE = ROOT / ".bundle-cache"
#: Lambda's python3.13 runtime is Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels
#: run there (pillow-heif publishes only those), as do manylinux2014 (glibc 2.17) ones.
#: pip does not widen a ``--platform`` to older glibc tags, so each is named.
PIP_PLATFORM = [
    "--platform",
    "manylinux2014_aarch64",
    "--platform",
    "manylinux_2_28_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.13",
    "--only-binary=:all:",
    "--no-compile",  # .pyc made by this Python would be for the wrong version
]


def dependencies_dir(requirements: Path = REQUIREMENTS) -> Path:
    """Install (once) and return the folder holding the Lambda's dependencies."""
    digest = hashlib.sha256(
        requirements.read_bytes() + " ".join(PIP_PLATFORM).encode()
    ).hexdigest()[:16]
    target = CACHE / digest
    if not (target / ".complete").exists():
        if target.exists():
            shutil.rmtree(target)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *PIP_PLATFORM,
                "--target",
                str(target),
                "-r",
                str(requirements),
            ],
            check=True,
        )
        (target / ".complete").write_text("ok\n")
    return target


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    def __init__(self, *, with_dependencies: bool = True) -> None:
        self.with_dependencies = with_dependencies

    def try_bundle(self, output_dir: str, *args, **kwargs) -> bool:  # noqa: ARG002 (jsii signature)
        out = Path(output_dir)
        if self.with_dependencies:
            shutil.copytree(
                dependencies_dir(),
                out,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns(".complete"),
            )
        for package in PACKAGES:
            shutil.copytree(
                ROOT / package,
                out / package,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "examples"),
            )
        return True
