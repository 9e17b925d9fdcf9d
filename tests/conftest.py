"""Fixtures shared by every test folder."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import botocore.session
import pytest

# No test may reach AWS: any client made by a test gets these dummy credentials.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# Local runs keep masks between runs; tests must not read or fill the user's cache.
os.environ["BGREMOVE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bgremove-test-cache-")
# Pretrained models: never read or fill the user's ~/.u2net, never reach the internet.
os.environ["U2NET_HOME"] = tempfile.mkdtemp(prefix="bgremove-test-u2net-")
os.environ["BGREMOVE_MODEL_BASE_URL"] = "http://127.0.0.1:9/no-downloads-in-tests"
# Every moto mock starts a new boto3 session (so no credentials carry over between tests),
# and each new session would re-read botocore's endpoint and service files (about 0.1 s
# a test): one data loader, whose cache holds those files, serves every session instead.
botocore.session.create_loader = functools.cache(botocore.session.create_loader)

# Imported after the settings above: product modules may read them when imported.
from tests.fixtures.local_aws import local_aws  # noqa: E402, F401  (the fixture, for every test)

#: Folders whose every test is slow, and the markers each of their tests gets
#: (``make test-fast`` runs ``-m "not slow"``). A new test file in one of these
#: folders is classified without an edit; a slow test elsewhere says ``@pytest.mark.slow``.
FOLDER_MARKERS = {
    "integration": ("integration", "slow"),
    "infrastructure": ("synth", "slow"),
    "browser": ("browser", "slow"),
}
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under a folder of ``FOLDER_MARKERS`` with that folder's markers."""
    for item in items:
        try:
            folder = item.path.relative_to(TESTS).parts[0]
        except ValueError:  # a test outside tests/
            continue
        for name in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(name)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m "not slow"`` (``make test-fast``), do not even import the slow folders:
    every test in them would be deselected, and importing them (CDK, Selenium) costs seconds."""
    slow_folder = collection_path.parent == TESTS and "slow" in FOLDER_MARKERS.get(
        collection_path.name, ()
    )
    return True if slow_folder and config.getoption("markexpr") == "not slow" else None


@pytest.fixture
def s3():
    """A moto S3 client with an empty bucket called ``batch``."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="batch")
        yield client
