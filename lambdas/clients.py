"""Clients the handlers share, made once per process and replaceable for local runs.

Lambda keeps module state between invocations, so a client is built once per cold
start. The local engine calls ``reset()`` when it starts and stops moto, so no client
outlives the mock it was made under.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.utils import parse_timestamp

from lambdas.models import BackgroundModel, get_model
from lambdas.payloads import RunContext
from lambdas.run_store import RunStore, open_store
from lambdas.settings import aws_region

if TYPE_CHECKING:
    from mypy_boto3_bedrock import BedrockClient
    from mypy_boto3_s3 import S3Client

#: The timestamps S3 writes in listings: ``2026-11-25T17:25:42.000Z``.
_S3_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def parse_s3_timestamp(value: str) -> datetime:
    """An S3 listing's timestamp, read without dateutil; any other form by botocore.

    botocore parses every ``LastModified`` with dateutil (about 100 µs each): a
    nightly Plan listing 200,000 objects spent longer parsing dates than listing.
    """
    if isinstance(value, str) and _S3_TIMESTAMP.fullmatch(value):
        return datetime.fromisoformat(value)
    return parse_timestamp(value)


@functools.cache
def s3() -> S3Client:
    region = aws_region()
    session = botocore.session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_s3_timestamp
    )
    # Presigned URLs must name the region's endpoint and use SigV4 to work for new buckets.
    return boto3.session.Session(botocore_session=session).client(
        "s3", region_name=region, config=Config(signature_version="s3v4")
    )


_bedrock_override: BedrockClient | None = None


def use_bedrock(client: BedrockClient | None) -> None:
    """Use ``client`` for Bedrock's control plane (the local engine's real one, hybrid runs)."""
    global _bedrock_override
    _bedrock_override = client


@functools.cache
def bedrock() -> Any:
    """Bedrock's control plane (GetFoundationModel, for the lifecycle preflight)."""
    if _bedrock_override is not None:
        return _bedrock_override
    region = aws_region()
    return boto3.client("bedrock", region_name=region)


def run_store(run: RunContext) -> RunStore:
    """The store of the run the event belongs to (its bucket, or a local run's folders)."""
    return open_store(run, s3=s3())


def model(name: str, options: dict | None = None) -> BackgroundModel:
    """The model for a run (one instance per name and options in a process)."""
    return _model(name, json.dumps(options or {}, sort_keys=True))


@functools.cache
def _model(name: str, options: str) -> BackgroundModel:
    return get_model(name, **json.loads(options))


def reset() -> None:
    """Forget every cached client and model."""
    s3.cache_clear()
    bedrock.cache_clear()
    _model.cache_clear()
