"""A run's data access: verbs for the domain code instead of key arithmetic.

``RunStore`` is what Plan, the per-item steps and the Report step read and write
through. ``open_store`` picks the backend from the run: ``S3RunStore`` for AWS runs
(keys in the batch bucket, as ``lambdas.layout`` lays them out) or
``LocalRunStore`` for the local engine (sources read in place, each file written
into ``--out`` atomically the moment it is done).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdas.payloads import RunContext
from lambdas.run_store.base import RunStore, SourceEntry
from lambdas.run_store.local import LocalRunStore
from lambdas.run_store.s3 import S3RunStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["LocalRunStore", "RunStore", "S3RunStore", "SourceEntry", "open_store"]


def open_store(run: RunContext, *, s3: S3Client | None) -> RunStore:
    """The store for ``run``: its local folders when it has them, else its bucket."""
    local = run.get("local")
    if local:
        return LocalRunStore.from_context(run, s3=s3)
    assert s3 is not None, "a run in a bucket needs an S3 client"
    return S3RunStore(run, s3=s3)
