"""What every run store offers (see ``lambdas.run_store``)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any

from lambdas import layout
from lambdas.payloads import ItemRecord, RunContext, WorkItem


@dataclass(frozen=True)
class SourceEntry:
    """A file found under a prefix or folder.

    ``problem`` is ``(error type, message)`` when the entry cannot be an item at
    all (a folder that cannot be listed): Plan records it as failed.
    """

    key: str
    modified: Any = None
    size: int | None = None
    fingerprint: str | None = None
    problem: tuple[str, str] | None = None


class RunStore(abc.ABC):
    """A run's storage, by verb. Keys follow ``lambdas.layout``."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.run_id = run["run_id"]

    # --- Plan ---------------------------------------------------------------------------

    @abc.abstractmethod
    def list_sources(self, prefix: str) -> list[SourceEntry]:
        """Every candidate source below ``prefix``, in key order."""

    @abc.abstractmethod
    def source_exists(self, key: str) -> bool: ...

    def where(self, prefix: str) -> str:
        """How messages name the place ``prefix`` lists."""
        return f"s3://{self.run['bucket']}/{prefix}"

    def source_label(self, key: str) -> str:
        """How the report names a source the request named by ``key``."""
        return key

    @abc.abstractmethod
    def write_plan(
        self,
        items: list[WorkItem],
        to_process: list[WorkItem],
        ended: dict[str, ItemRecord],
    ) -> tuple[str, str]:
        """Keep the plan and write what the Map reads; return (bucket, key) of the latter.

        The plan is every item, and the records of those that end at Plan (skipped,
        refused, kept from an earlier run): one write however many there are.
        """

    @abc.abstractmethod
    def read_plan(self) -> tuple[list[WorkItem], dict[str, ItemRecord]]:
        """The plan's items and the records of those that ended at Plan."""

    def fingerprints(self, keys: list[str]) -> dict[str, str]:
        """What identifies each source's content between runs, where the store can tell."""
        return {}

    def earlier_records(self, items: list[WorkItem]) -> dict[str, ItemRecord]:
        """Records an earlier run left for these items, by item id (local runs resume)."""
        return {}

    def has_output(self, item: WorkItem) -> bool:
        """Whether the item's cutout is there (asked only of stores that resume)."""
        return False

    # --- Items --------------------------------------------------------------------------

    @abc.abstractmethod
    def read_source(self, key: str) -> bytes:
        """The source's bytes; a source that cannot be read raises an ``ItemError``."""

    def write_model_input(self, item: WorkItem, data: bytes, fmt: str) -> str:
        key = layout.work_key(self.run_id, item["item_id"], f"model_input.{fmt.lower()}")
        self._write(key, data, f"image/{fmt.lower()}")
        return key

    def read_model_input(self, key: str) -> bytes:
        return self._read(key)

    @abc.abstractmethod
    def has_mask(self, key: str) -> bool: ...

    def read_mask(self, key: str) -> bytes:
        return self._read(key)

    def write_mask(self, key: str, data: bytes) -> None:
        self._write(key, data, "image/png")

    def write_cutout(self, item: WorkItem, data: bytes, content_type: str) -> None:
        self._write(item["output_key"], data, content_type)

    def write_preview(self, item: WorkItem, name: str, data: bytes, content_type: str) -> str:
        key = self._preview_key(item, name)
        self._write(key, data, content_type)
        return key

    def discard_work(self, item: WorkItem) -> None:
        """Drop the item's intermediate files (on S3 a lifecycle rule does it)."""
        return None

    # --- Records and report -------------------------------------------------------------

    @abc.abstractmethod
    def write_record(self, item: WorkItem, record: ItemRecord) -> None: ...

    @abc.abstractmethod
    def read_records(self, items: list[WorkItem]) -> dict[str, ItemRecord]:
        """This run's records of ``items``, by item id."""

    def write_report_file(self, name: str, data: bytes, content_type: str) -> str:
        key = layout.report_key(self.run_id, name)
        self._write(key, data, content_type)
        return key

    @abc.abstractmethod
    def link(self, key: str) -> str:
        """What the report links to for ``key``."""

    def links_expire_at(self) -> str | None:
        """When the report's links stop working (ISO 8601), or ``None`` if they don't."""
        return None

    # --- Backend ------------------------------------------------------------------------

    def _preview_key(self, item: WorkItem, name: str) -> str:
        return layout.preview_key(self.run_id, item["item_id"], name)

    @abc.abstractmethod
    def _read(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def _write(self, key: str, data: bytes, content_type: str) -> None: ...
