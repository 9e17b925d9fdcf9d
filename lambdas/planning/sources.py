"""Where a run's sources come from: a prefix, one key or a manifest, each path checked.

A source may only be read from the run's bucket, under the input prefix, never from
bgremove's own prefixes, and never through ``..``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from typing import Any

from lambdas import layout
from lambdas.errors import ConfigError, InputMissingError, ManifestError, SourceNotFoundError
from lambdas.run_store import RunStore
from lambdas.settings import Settings
from manifests.parsing import Manifest, manifest_kind, parse_manifest


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


def resolve_sources(
    kind: str,
    target: str,
    manifest: tuple[str, Manifest] | None,
    settings: Settings,
    store: RunStore,
) -> list[Source]:
    """The sources a request names, in its order (a manifest's already read)."""
    if kind == "prefix":
        return _sources_from_prefix(target, settings, store)
    if kind == "input_key":
        return [_source_from_key(target, settings, store)]
    assert manifest is not None, "read_manifest first"
    return _sources_from_manifest(manifest, settings, store)


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


def read_manifest(uri: str, settings: Settings, store: RunStore) -> tuple[str, Manifest]:
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
    manifest: tuple[str, Manifest], settings: Settings, store: RunStore
) -> list[Source]:
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
