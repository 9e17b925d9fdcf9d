"""The batch bucket as a run's store (AWS runs): keys exactly as ``lambdas.layout`` gives them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lambdas import layout, storage
from lambdas.inputs import is_candidate
from lambdas.payloads import ItemRecord, RunContext, WorkItem
from lambdas.run_store.base import RunStore, SourceEntry

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_READ_THREADS = 16


class S3RunStore(RunStore):
    """Reads and writes one run's objects in its bucket through an injected S3 client."""

    def __init__(self, run: RunContext, *, s3: S3Client) -> None:
        super().__init__(run)
        self.s3 = s3
        self.bucket = run["bucket"]
        self._link_seconds: int | None = None

    def list_sources(self, prefix: str) -> list[SourceEntry]:
        return [
            SourceEntry(key=obj["Key"], modified=obj.get("LastModified"), size=obj.get("Size"))
            for obj in storage.list_objects(self.s3, self.bucket, prefix)
            if not obj["Key"].endswith("/") and is_candidate(obj["Key"])
        ]

    def source_exists(self, key: str) -> bool:
        return storage.exists(self.s3, self.bucket, key)

    def output_times(self, prefix: str) -> dict[str, Any]:
        """Each cutout's LastModified below ``prefix`` (one listing: nightly skip_done)."""
        return {
            obj["Key"]: obj["LastModified"]
            for obj in storage.list_objects(self.s3, self.bucket, prefix)
        }

    def write_plan(
        self,
        items: list[WorkItem],
        to_process: list[WorkItem],
        ended: dict[str, ItemRecord],
    ) -> tuple[str, str]:
        plan = {"run": self.run, "items": items, "ended": ended}
        storage.write_json(self.s3, self.bucket, layout.plan_key(self.run_id), plan)
        key = layout.items_key(self.run_id)
        storage.write_json(self.s3, self.bucket, key, to_process)
        return self.bucket, key

    def read_plan(self) -> tuple[list[WorkItem], dict[str, ItemRecord]]:
        plan = storage.read_json(self.s3, self.bucket, layout.plan_key(self.run_id))
        return plan["items"], plan.get("ended", {})

    def read_source(self, key: str) -> bytes:
        return storage.read_bytes(self.s3, self.bucket, key)

    def has_mask(self, key: str) -> bool:
        return storage.exists(self.s3, self.bucket, key)

    def write_record(self, item: WorkItem, record: ItemRecord) -> None:
        key = layout.record_key(self.run_id, item["item_id"])
        storage.write_json(self.s3, self.bucket, key, record)

    def read_records(self, items: list[WorkItem]) -> dict[str, ItemRecord]:
        keys = storage.list_keys(self.s3, self.bucket, layout.records_prefix(self.run_id))
        with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
            found = list(pool.map(lambda key: storage.read_json(self.s3, self.bucket, key), keys))
        return {record["item_id"]: record for record in found}

    def link(self, key: str) -> str:
        return storage.presigned_url(self.s3, self.bucket, key, self._lifetime())

    def links_expire_at(self) -> str | None:
        expiry = datetime.now(UTC) + timedelta(seconds=self._lifetime())
        return expiry.isoformat(timespec="seconds")

    def _lifetime(self) -> int:
        """The run's url_expiry_seconds, unless the signing credentials end sooner."""
        if self._link_seconds is None:
            self._link_seconds = storage.link_lifetime(self.s3, self.run["url_expiry_seconds"])
        return self._link_seconds

    def _read(self, key: str) -> bytes:
        return storage.read_bytes(self.s3, self.bucket, key)

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        storage.write_bytes(self.s3, self.bucket, key, data, content_type)
