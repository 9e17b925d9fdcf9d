"""Clients the handlers share, made once per process and replaceable for local runs.

Lambda keeps module state between invocations, so a client is built once per cold
start. The local engine calls ``reset()`` when it starts and stops moto, so no client
outlives the mock it was made under.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from botocore.config import Config

from lambdas.models import BackgroundModel, get_model


@functools.cache
def s3() -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    # Presigned URLs must name the region's endpoint and use SigV4 to work for new buckets.
    return boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))


@functools.cache
def model(name: str) -> BackgroundModel:
    return get_model(name)


def reset() -> None:
    """Forget every cached client and model."""
    s3.cache_clear()
    model.cache_clear()
