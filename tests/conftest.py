"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import tempfile

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


@pytest.fixture
def s3():
    """A moto S3 client with an empty bucket called ``batch``."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="batch")
        yield client
