"""Plan a run: turn a request into the list of items the Map processes.

A request names a prefix (``{"prefix": "s3://bucket/inputs/"}``), a manifest
(``{"manifest": "s3://bucket/manifests/spring.json"}``) or, as in the tutorial, one
key (``{"input_key": "inputs/cat.png"}``). Plan refuses a bad request or manifest
before any work, de-duplicates sources, gives every item an output key that never
collides, and writes ``items.json`` (what the Map reads) and ``plan.json`` (every
item, for the report).
"""

from __future__ import annotations

import posixpath
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lambdas import layout, records
from lambdas.errors import (
    AlreadyDoneError,
    ConfigError,
    DuplicateSourceError,
    InputMissingError,
    ManifestError,
    ModelUnusableError,
    SourceNotFoundError,
)
from lambdas.imaging.output import OutputOptions
from lambdas.models import model_names
from lambdas.models.catalog import AWS_MODELS, CATALOG
from lambdas.models.preflight import preflight
from lambdas.payloads import ItemRecord, LocalContext, PlanResult, RunContext, WorkItem
from lambdas.run_store import RunStore, S3RunStore, open_store
from lambdas.settings import Settings, aws_region
from manifests.parsing import MANIFEST_OPTIONS, Manifest, manifest_kind, parse_manifest

#: A request may also rehearse on a simulated Bedrock, or name an ONNX model file.
REQUEST_OPTIONS = (*MANIFEST_OPTIONS, "simulate", "time_scale", "model_path", "skip_done")
_EXTENSIONS = {"png": "png", "webp": "webp", "jpeg": "jpg"}
#: The note on an item whose cutout an earlier run into the same folder made.
RESUMED_NOTE = "done by an earlier run: kept"


@dataclass(frozen=True)
class Source:
    """A source as the user named it and the bucket key it resolves to."""

    display: str
    key: str
    relative: str  # path under the output prefix, before the suffix is added
    output: str | None = None
    modified: Any = None  # LastModified from the listing (prefix runs)
    fingerprint: str | None = None  # local runs: size and mtime
    options: dict[str, Any] = field(default_factory=dict)  # a manifest item's output options
    problem: tuple[str, str] | None = None  # (error type, message): fails at Plan


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as ``20261124T142200Z-3f9a1c``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def run_context(run_id: str, settings: Settings, warnings: list[str] | None = None) -> RunContext:
    run = RunContext(
        run_id=run_id,
        bucket=settings.bucket,
        engine="local" if settings.engine == "local" else "aws",
        model=settings.model,
        model_options=settings.model_options(),
        output_format=settings.output_format,  # type: ignore[typeddict-item]
        runs_prefix=layout.runs_prefix(run_id),
        work_prefix=layout.work_prefix(run_id),
        report_prefix=layout.report_prefix(run_id),
        output_prefix=settings.output_prefix,
        max_bytes=settings.max_bytes,
        max_pixels=settings.max_pixels,
        url_expiry_seconds=settings.url_expiry_seconds,
        warnings=warnings or [],
    )
    if settings.output_options:
        run["output_options"] = dict(settings.output_options)
    if settings.local_root and settings.local_out:
        run["local"] = LocalContext(
            root=settings.local_root,
            out=settings.local_out,
            cache=settings.local_cache,
            label=settings.local_label,
        )
    return run


def plan_run(
    request: dict[str, Any],
    *,
    run_id: str,
    settings: Settings,
    s3: Any,
    bedrock: Callable[[], Any] | None = None,
) -> PlanResult:
    """Plan the run and write its items; raise a ``PlanError`` if it cannot start.

    Parameters
    ----------
    bedrock
        Makes a Bedrock control-plane client for the model's lifecycle preflight
        (not called for offline or simulated models).

    Raises
    ------
    ManifestError, SourceNotFoundError, ConfigError, ModelUnusableError
        Before anything is written.
    """
    if not isinstance(request, dict):
        raise ConfigError(
            "the request must be a JSON object with 'prefix', 'manifest' or 'input_key'"
        )
    named = [key for key in ("prefix", "manifest", "input_key") if request.get(key)]
    if len(named) != 1:
        raise ConfigError(
            "the request must name exactly one of 'prefix', 'manifest' or 'input_key'"
            + (f" (it names {', '.join(named)})" if named else "")
        )
    options = request.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError("'options' must be an object")
    unknown = sorted(set(options) - set(REQUEST_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown option {unknown[0]!r}; known: {', '.join(REQUEST_OPTIONS)}")

    kind = named[0]
    manifest: tuple[str, Manifest] | None = None
    if kind == "manifest":
        reader = open_store(run_context(run_id, settings), s3=s3)
        manifest = _read_manifest(str(request["manifest"]), settings, reader)
        settings = settings.with_options(manifest[1].options)
    settings = settings.with_options(options)
    if settings.model not in model_names():
        raise ModelUnusableError(
            f"unknown model {settings.model!r}: choose one of {', '.join(model_names())}"
        )
    _check_model_runs_on_engine(settings)

    check = preflight(
        settings.model,
        region=aws_region(),
        bedrock_client=bedrock() if bedrock and settings.simulate is None else None,
    )
    run = run_context(run_id, settings, warnings=check.warnings)
    store = open_store(run, s3=s3)
    if kind == "prefix":
        sources = _sources_from_prefix(str(request["prefix"]), settings, store)
    elif kind == "input_key":
        sources = [_source_from_key(str(request["input_key"]), settings, store)]
    else:
        sources = _sources_from_manifest(manifest, settings, store)

    items, ended = _items(sources, settings)
    if options.get("skip_done") and isinstance(store, S3RunStore):
        ended.update(_already_done(items, sources, ended, settings, store))
    resumed = _resumable(items, ended, run, store)
    done_at_plan = ended.keys() | resumed.keys()
    to_process = [item for item in items if item["item_id"] not in done_at_plan]

    ended_records = {
        item["item_id"]: _ended_record(item, *ended[item["item_id"]])
        for item in items
        if item["item_id"] in ended
    }
    items_bucket, items_key = store.write_plan(items, to_process, {**ended_records, **resumed})

    return PlanResult(
        run=run,
        items_bucket=items_bucket,
        items_key=items_key,
        results_prefix=layout.map_results_prefix(run_id),
        total=len(items),
        to_process=len(to_process),
        concurrency=settings.effective_concurrency(),
        first_item=to_process[0] if len(items) == 1 and to_process else None,
    )


def _check_model_runs_on_engine(settings: Settings) -> None:
    """Refuse, before any work, a model the engine cannot run (the registry's ``engines``).

    The Lambda bundle carries the Bedrock adapters only: ``local`` (OpenCV), ``onnx``
    and the pretrained models (onnxruntime) are not in it, so on AWS every item
    would fail with ``ModuleNotFoundError``. The local engine runs them all.

    Raises
    ------
    ModelUnusableError
        For a model whose registry entry does not list the run's engine.
    """
    engine = "local" if settings.engine == "local" else "aws"
    if engine in CATALOG[settings.model].engines:
        return
    raise ModelUnusableError(
        f"model {settings.model!r} runs only on the local engine (bgremove run): "
        f"the AWS engine's Lambdas cannot load it; choose one of {', '.join(AWS_MODELS)}"
    )


def _resumable(
    items: list[WorkItem], ended: dict[str, tuple[str, str, str]], run: RunContext, store: RunStore
) -> dict[str, ItemRecord]:
    """Items an earlier run into the same place finished with the same source and options.

    Their cutouts stay; their records carry over to this run (local runs, where
    records outlive a run so the same command resumes after a crash).
    """
    candidates = {item["item_id"]: item for item in items if item["item_id"] not in ended}
    resumed = {}
    for item_id, record in store.earlier_records(list(candidates.values())).items():
        item = candidates[item_id]
        if (
            record.get("status") == "succeeded"
            and record.get("options") == records.run_signature(run, item)
            and item.get("fingerprint")
            and record.get("fingerprint") == item.get("fingerprint")
            and store.has_output(item)
        ):
            notes = [note for note in record.get("notes", []) if note != RESUMED_NOTE]
            resumed[item_id] = ItemRecord(
                **{**record, "notes": [*notes, RESUMED_NOTE], "model_calls": 0, "resumed": True}
            )
    return resumed


def _ended_record(item: WorkItem, status: str, kind: str, message: str) -> ItemRecord:
    """The record of an item that ends at Plan: skipped (duplicate, done) or failed."""
    return ItemRecord(
        item_id=item["item_id"],
        source=item["source"],
        status=status,  # type: ignore[typeddict-item]
        output_key=None,
        error={"type": kind, "message": message},
    )


def _already_done(
    items: list[WorkItem],
    sources: list[Source],
    ended: dict[str, tuple[str, str, str]],
    settings: Settings,
    store: S3RunStore,
) -> dict[str, tuple[str, str, str]]:
    """Items whose cutout is newer than their source (one listing of the output prefix).

    Nightly prefix runs pass ``skip_done`` so they only do new or changed work.
    """
    # Outputs mirror inputs: only the listed folder's mirror can hold their cutouts.
    folders = {posixpath.dirname(item["output_key"]) + "/" for item in items if item["output_key"]}
    outputs = store.output_times(posixpath.commonprefix(sorted(folders)) or settings.output_prefix)
    done = {}
    for item, source in zip(items, sources, strict=True):
        made = outputs.get(item["output_key"])
        if item["item_id"] in ended or made is None or source.modified is None:
            continue
        # S3 times are whole seconds: a tie could hide a change, so only strictly newer counts.
        if made > source.modified:
            done[item["item_id"]] = (
                "skipped",
                AlreadyDoneError.__name__,
                f"already done: {item['output_key']} is newer than the source",
            )
    return done


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → ``(bucket, key)``."""
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", uri.strip())
    if not match:
        raise ConfigError(f"{uri!r} is not an s3:// URI (expected s3://bucket/key)")
    return match.group(1), match.group(2)


def _check_bucket(bucket: str, uri: str, settings: Settings) -> None:
    if bucket != settings.bucket:
        raise ConfigError(
            f"{uri} is outside this run's bucket: only s3://{settings.bucket}/ can be read"
        )


def _readable(key: str, settings: Settings) -> str | None:
    """Why ``key`` may not be read as a source, or ``None`` if it may."""
    parts = key.split("/")
    if key.startswith("/") or ".." in parts or "." in parts:
        return "a relative path without '..' segments is required"
    # In a bucket these prefixes are bgremove's; a local run's own files are in --out.
    for reserved in () if settings.local_root else layout.RESERVED_PREFIXES:
        if key.startswith(reserved):
            return f"'{reserved}' holds bgremove's own files"
    if settings.input_prefix and not key.startswith(settings.input_prefix):
        return f"sources must be under '{settings.input_prefix}'"
    return None


def _sources_from_prefix(uri: str, settings: Settings, store: RunStore) -> list[Source]:
    bucket, prefix = parse_s3_uri(uri)
    _check_bucket(bucket, uri, settings)
    if prefix and not prefix.endswith("/"):
        # "inputs/cats" means the folder, not every key starting with "cats".
        prefix += "/"
    why = _readable(prefix or "x", settings) if prefix else None
    if why or (settings.input_prefix and not prefix.startswith(settings.input_prefix)):
        raise ConfigError(
            f"cannot read {uri}: {why or f'sources must be under {settings.input_prefix}'}"
        )
    try:
        entries = store.list_sources(prefix)
    except OSError as error:
        raise SourceNotFoundError(f"cannot list {store.where(prefix)}: {error.strerror}") from None
    entries = [entry for entry in entries if _readable(entry.key, settings) is None]
    if not entries:
        raise SourceNotFoundError(f"no files to process in {store.where(prefix)}")
    # Outputs mirror the input layout below the input prefix, whichever folder is listed,
    # so a file keeps one output key across runs (inputs/shop/a.png → outputs/shop/…).
    base = settings.input_prefix or prefix
    return [
        Source(
            display=entry.key[len(prefix) :],
            key=entry.key,
            relative=entry.key[len(base) :],
            modified=entry.modified,
            fingerprint=entry.fingerprint,
            problem=entry.problem,
        )
        for entry in entries
    ]


def _source_from_key(key: str, settings: Settings, store: RunStore) -> Source:
    key = key.strip()
    why = _readable(key, settings)
    if why:
        raise ConfigError(f"cannot read '{key}': {why}")
    if not store.source_exists(key):
        # The tutorial's error for a missing input_key.
        raise SourceNotFoundError(f"S3 object '{key}' does not exist in bucket '{settings.bucket}'")
    return Source(
        display=store.source_label(key),
        key=key,
        relative=_relative(key, settings),
        fingerprint=store.fingerprints([key]).get(key),
    )


def _relative(key: str, settings: Settings) -> str:
    prefix = settings.input_prefix
    return key[len(prefix) :] if prefix and key.startswith(prefix) else key


def _read_manifest(uri: str, settings: Settings, store: RunStore) -> tuple[str, Manifest]:
    """The manifest's name and contents; refused before any work if it is unusable."""
    bucket, key = parse_s3_uri(uri)
    _check_bucket(bucket, uri, settings)
    name = posixpath.basename(key) or key
    if manifest_kind(name) is None:
        raise ManifestError(f"manifest {uri}: use a .json or .csv file")
    try:
        data = store.read_source(key)
    except InputMissingError:
        raise SourceNotFoundError(f"manifest {uri} does not exist") from None
    return name, parse_manifest(data, name=name)


def _sources_from_manifest(
    manifest: tuple[str, Manifest] | None, settings: Settings, store: RunStore
) -> list[Source]:
    assert manifest is not None
    name, contents = manifest
    sources = []
    for entry in contents.entries:
        source_key = entry.source
        if source_key.startswith("s3://"):
            entry_bucket, source_key = parse_s3_uri(source_key)
            if entry_bucket != settings.bucket:
                raise ManifestError(
                    f"manifest {name}, {entry.where}: {entry.source} is outside this run's bucket: "
                    f"only s3://{settings.bucket}/ can be read"
                )
        why = _readable(source_key, settings)
        if why:
            raise ManifestError(
                f"manifest {name}, {entry.where}: cannot read {entry.source!r}: {why}"
            )
        if entry.output is not None:
            parts = entry.output.split("/")
            if entry.output.startswith("/") or ".." in parts:
                raise ManifestError(
                    f"manifest {name}, {entry.where}: output {entry.output!r} must be a relative path without '..'"
                )
        sources.append(
            Source(
                display=entry.source,
                key=source_key,
                relative=_relative(source_key, settings),
                output=entry.output,
                options=entry.options,
            )
        )
    found = store.fingerprints([source.key for source in sources])
    return [replace(source, fingerprint=found.get(source.key)) for source in sources]


def _items(
    sources: list[Source], settings: Settings
) -> tuple[list[WorkItem], dict[str, tuple[str, str, str]]]:
    """Number the sources and give each a unique output key.

    Returns the items and, by item id, those that end here: ``(status, error type,
    message)`` for duplicates (skipped) and sources that cannot be items (failed).
    """
    width = max(6, len(str(len(sources))))
    first_by_key: dict[str, str] = {}
    skipped: dict[str, tuple[str, str, str]] = {}
    ids = [f"{index + 1:0{width}d}" for index in range(len(sources))]
    for item_id, source in zip(ids, sources, strict=True):
        if source.problem:
            skipped[item_id] = ("failed", *source.problem)
        elif source.key in first_by_key:
            skipped[item_id] = (
                "skipped",
                DuplicateSourceError.__name__,
                f"duplicate of item {first_by_key[source.key]}: '{source.display}' is already in this run",
            )
        else:
            first_by_key[source.key] = item_id

    extension = _EXTENSIONS[settings.output_format]
    wanted: dict[str, str] = {}
    for item_id, source in zip(ids, sources, strict=True):
        if item_id not in skipped:
            wanted[item_id] = _output_key(source, settings, extension, with_ext=False)
    # Same-named files in one folder (cat.jpg, cat.png) would collide: keep their extensions.
    by_output: dict[str, list[str]] = defaultdict(list)
    for item_id, output in wanted.items():
        by_output[output].append(item_id)
    source_of = dict(zip(ids, sources, strict=True))
    final: dict[str, str] = {}
    for output, item_ids in by_output.items():
        for item_id in item_ids:
            if len(item_ids) == 1:
                final[item_id] = output
            else:
                final[item_id] = _output_key(source_of[item_id], settings, extension, with_ext=True)
    # Anything still colliding (e.g. two manifest rows asking for one output) gets its id.
    seen: dict[str, int] = defaultdict(int)
    for output in final.values():
        seen[output] += 1
    for item_id, output in final.items():
        if seen[output] > 1:
            stem, dot, ext = output.rpartition(".")
            final[item_id] = f"{stem}_{item_id}{dot}{ext}"

    items = []
    for item_id, source in zip(ids, sources, strict=True):
        item = WorkItem(
            item_id=item_id,
            source=source.display,
            source_key=source.key,
            output_key=final.get(item_id, ""),
        )
        if source.fingerprint:
            item["fingerprint"] = source.fingerprint
        if source.options:
            item["options"] = source.options
        items.append(item)
    return items, skipped


def _output_key(source: Source, settings: Settings, extension: str, *, with_ext: bool) -> str:
    output_prefix = settings.output_prefix
    if source.output:
        stem = posixpath.splitext(source.output)[0]
        return f"{output_prefix}{stem}.{extension}"
    folder, name = posixpath.split(source.relative)
    stem, ext = posixpath.splitext(name)
    if with_ext and ext:
        stem = f"{stem}_{ext.lstrip('.').lower()}"
    options = OutputOptions.from_options({**settings.output_options, **source.options})
    file_name = f"{stem}{options.suffix()}.{extension}"
    return (
        posixpath.join(output_prefix + folder, file_name) if folder else output_prefix + file_name
    )
