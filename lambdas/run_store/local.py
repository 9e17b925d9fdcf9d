"""The user's folders as a run's store (local engine).

Sources are read in place. Every file is written to a temporary name and renamed
into place, so a run killed at any moment leaves whole files or none. Item records
live in ``--out`` (``layout.LocalPaths``), one per item across runs, so running the
same command again resumes. Only ``items.json`` goes to the engine's in-memory S3,
because the interpreter's ItemReader reads it there.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdas import layout, storage
from lambdas.errors import (
    BrokenLinkError,
    FolderUnreadableError,
    InputMissingError,
    SourceUnreadableError,
)
from lambdas.inputs import is_candidate
from lambdas.payloads import ItemRecord, RunContext, WorkItem
from lambdas.run_store.base import RunStore, SourceEntry

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class LocalRunStore(RunStore):
    """One run's files in the user's folders (``paths``); ``items.json`` in ``bucket``."""

    def __init__(
        self,
        run: RunContext,
        paths: layout.LocalPaths,
        *,
        s3: S3Client | None,
        label: str | None = None,
    ) -> None:
        super().__init__(run)
        self.paths = paths
        self.s3 = s3
        self.bucket = run["bucket"]
        self.label = label

    @classmethod
    def from_context(cls, run: RunContext, *, s3: S3Client | None) -> LocalRunStore:
        local = run["local"]
        cache = local.get("cache")
        paths = layout.LocalPaths(
            root=Path(local["root"]), out=Path(local["out"]), cache=Path(cache) if cache else None
        )
        return cls(run, paths, s3=s3, label=local.get("label"))

    # --- Plan ---------------------------------------------------------------------------

    def list_sources(self, prefix: str) -> list[SourceEntry]:
        start = self.paths.source(prefix) if prefix else self.paths.root
        ours = [self.paths.out, self.paths.cache] if self.paths.cache else [self.paths.out]
        return walk_sources(start, prefix=prefix, skip=ours)

    def source_exists(self, key: str) -> bool:
        path = self.paths.source(key)
        return path.exists() or path.is_symlink()

    def where(self, prefix: str) -> str:
        return str(self.paths.source(prefix) if prefix else self.paths.root)

    def source_label(self, key: str) -> str:
        return self.label or key

    def write_plan(
        self,
        items: list[WorkItem],
        to_process: list[WorkItem],
        ended: dict[str, ItemRecord],
    ) -> tuple[str, str]:
        marker = self.paths.state / layout.MARKER_FILE
        if not marker.exists():
            self._replace(marker, layout.MARKER_TEXT.encode())
        self._replace(self.paths.plan(self.run_id), _json({"items": items, "ended": ended}))
        key = layout.items_key(self.run_id)
        assert self.s3 is not None, "the Map reads items.json from S3: Plan needs a client"
        storage.write_json(self.s3, self.bucket, key, to_process)
        return self.bucket, key

    def read_plan(self) -> tuple[list[WorkItem], dict[str, ItemRecord]]:
        plan = json.loads(self.paths.plan(self.run_id).read_bytes())
        return plan["items"], plan["ended"]

    def fingerprints(self, keys: list[str]) -> dict[str, str]:
        found = {}
        for key in keys:
            try:
                found[key] = _fingerprint(self.paths.source(key).stat())
            except (OSError, ValueError):
                continue
        return found

    def earlier_records(self, items: list[WorkItem]) -> dict[str, ItemRecord]:
        found = {}
        for item in items:
            record = self._load_record(item)
            if record is not None:
                found[item["item_id"]] = record
        return found

    def has_output(self, item: WorkItem) -> bool:
        return bool(item["output_key"]) and self._path(item["output_key"]).is_file()

    # --- Items --------------------------------------------------------------------------

    def read_source(self, key: str) -> bytes:
        path = self.paths.source(key)
        name = self.source_label(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            if path.is_symlink():
                raise BrokenLinkError(
                    f"{name} is a symbolic link to {os.readlink(path)}, which does not exist"
                ) from None
            raise InputMissingError(
                f"{name} does not exist (or was moved or deleted during the run)"
            ) from None
        except PermissionError:
            raise SourceUnreadableError(
                f"permission denied: {name} cannot be read by this user"
            ) from None
        except IsADirectoryError:
            raise InputMissingError(f"{name} is now a folder, not a file") from None
        except OSError as error:
            raise SourceUnreadableError(f"{name} cannot be read: {error.strerror}") from None

    def has_mask(self, key: str) -> bool:
        return self._path(key).is_file()

    def discard_work(self, item: WorkItem) -> None:
        shutil.rmtree(self.paths.work(self.run_id) / item["item_id"], ignore_errors=True)

    # --- Records and report -------------------------------------------------------------

    def write_record(self, item: WorkItem, record: ItemRecord) -> None:
        self._replace(self._record_path(item), _json({**record, "run_id": self.run_id}))

    def read_records(self, items: list[WorkItem]) -> dict[str, ItemRecord]:
        found = {}
        for item in items:
            record = self._load_record(item)
            if record is not None and record.get("run_id") == self.run_id:
                found[item["item_id"]] = record
        return found

    def link(self, key: str) -> str:
        """A path relative to ``--out``, where index.html is."""
        return self._path(key).relative_to(self.paths.out).as_posix()

    # --- Files --------------------------------------------------------------------------

    def _record_path(self, item: WorkItem) -> Path:
        # A skipped duplicate has no output of its own: its record is this run's only.
        return self.paths.record(item["source_key"], item["output_key"] or f"#{item['item_id']}")

    def _load_record(self, item: WorkItem) -> ItemRecord | None:
        try:
            record = json.loads(self._record_path(item).read_bytes())
        except (OSError, ValueError):
            return None
        record["item_id"] = item["item_id"]  # numbering may differ between runs
        return record

    def _preview_key(self, item: WorkItem, name: str) -> str:
        return layout.local_preview_key(self.run_id, item["source_key"], item["output_key"], name)

    def _path(self, key: str) -> Path:
        return self.paths.path_for(self.run_id, key)

    def _read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise InputMissingError(f"{key} is missing from the run's folders") from None

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        self._replace(self._path(key), data)

    def _replace(self, target: Path, data: bytes) -> None:
        """Write ``data`` to a temporary file, then rename it to ``target`` (atomic)."""
        inside_out = target.is_relative_to(self.paths.out)
        # A rename works within one file system: --out's own folder, else the target's.
        folder = self.paths.temporary if inside_out else target.parent / ".partial"
        folder.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = folder / f"{uuid.uuid4().hex}.partial"
        partial.write_bytes(data)
        os.replace(partial, target)


def walk_sources(folder: Path, *, prefix: str = "", skip: Sequence[Path] = ()) -> list[SourceEntry]:
    """Every candidate source below ``folder`` (keys start with ``prefix``), in key order.

    Symbolic links are followed (each folder once). Never listed: hidden files and
    folders, the files operating systems leave (``lambdas.inputs``), the folders in
    ``skip``, and any folder bgremove writes (one holding ``layout.STATE_FOLDER``).
    A sub-folder that cannot be listed is an entry with a ``problem``; ``folder``
    itself raises ``OSError``.
    """
    entries: list[SourceEntry] = []
    skipped = {path.resolve() for path in skip}
    _walk(folder, prefix, entries, seen=set(skipped))
    return sorted(entries, key=lambda entry: entry.key)


def _walk(folder: Path, prefix: str, entries: list[SourceEntry], seen: set[Path]) -> None:
    try:
        resolved = folder.resolve()
        if resolved in seen or (folder / layout.STATE_FOLDER).is_dir():
            return
        seen.add(resolved)
        children = sorted(os.scandir(folder), key=lambda child: child.name)
    except OSError as error:
        if not prefix:
            raise  # the folder the user named: Plan refuses the run
        entries.append(_unlistable(prefix, error))
        return
    for child in children:
        key = f"{prefix}{child.name}"
        if not is_candidate(key):
            continue
        if _is_dir(child):
            _walk(Path(child.path), f"{key}/", entries, seen)
        elif child.is_file() or child.is_symlink():  # a dangling link fails as an item
            entries.append(_entry(child, key))


def _is_dir(child: os.DirEntry) -> bool:
    try:
        return child.is_dir()
    except OSError:
        return False


def _entry(child: os.DirEntry, key: str) -> SourceEntry:
    try:
        stat = child.stat()
    except OSError:
        return SourceEntry(key=key)
    return SourceEntry(
        key=key, modified=stat.st_mtime, size=stat.st_size, fingerprint=_fingerprint(stat)
    )


def _fingerprint(stat: os.stat_result) -> str:
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _unlistable(prefix: str, error: OSError) -> SourceEntry:
    reason = "permission denied" if isinstance(error, PermissionError) else error.strerror
    return SourceEntry(
        key=prefix,
        problem=(
            FolderUnreadableError.__name__,
            f"the folder {prefix} cannot be listed ({reason}): none of its files were processed",
        ),
    )


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
