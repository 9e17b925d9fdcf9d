"""Read a batch manifest (JSON or CSV) into entries, refusing bad ones early.

A JSON manifest is a list of sources, or ``{"items": [...], "options": {...}}``
where an item is a source string or ``{"source": ..., "output": ...}``. A CSV
manifest has a header row with a ``source`` column (and optionally ``output``).
Every error names the manifest and the index (JSON) or line (CSV) that is wrong.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from lambdas.errors import ConfigError, ManifestError
from lambdas.imaging.output import OUTPUT_OPTIONS, OutputOptions

#: Options a manifest may set for its run; anything else is refused.
MANIFEST_OPTIONS = ("model", "format", "concurrency", "url_expiry_seconds", *OUTPUT_OPTIONS)


Shape = TypeVar("Shape", bound=BaseModel)


@dataclass(frozen=True)
class ManifestEntry:
    """One item as the manifest names it."""

    source: str
    output: str | None
    where: str  # "index 3" or "line 5", for error messages
    options: dict[str, Any] = field(default_factory=dict)  # output options for this item


@dataclass(frozen=True)
class Manifest:
    entries: list[ManifestEntry]
    options: dict[str, Any]


def manifest_kind(name: str) -> str | None:
    """``"json"`` or ``"csv"`` from the file name, else ``None``."""
    lowered = name.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".csv"):
        return "csv"
    return None


def parse_manifest(data: bytes, *, name: str) -> Manifest:
    """Parse a manifest's bytes.

    Raises
    ------
    ManifestError
        If it does not parse, names no items, or an item is malformed.
    """
    kind = manifest_kind(name)
    if kind is None:
        raise ManifestError(f"manifest {name}: use a .json or .csv file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ManifestError(f"manifest {name}: not UTF-8 text ({error.reason})") from None
    manifest = _parse_json(text, name) if kind == "json" else _parse_csv(text, name)
    if not manifest.entries:
        raise ManifestError(f"manifest {name} names no items")
    return manifest


class _Document(BaseModel):
    """A JSON manifest that is an object: its items and the run's options."""

    model_config = ConfigDict(extra="forbid", strict=True)

    items: list[Any]
    options: dict[str, Any] | None = None


class _Item(BaseModel):
    """A JSON manifest item given as an object."""

    model_config = ConfigDict(extra="forbid", strict=True)

    source: str
    output: str | None = None
    options: dict[str, Any] | None = None


#: What each of pydantic's complaints means in a manifest, by (field, error type).
_DOCUMENT_COMPLAINTS = {
    ("items", "missing"): "missing 'items' (a list of sources)",
    ("items", "list_type"): "expected a list of sources or an object with 'items'",
    ("options", "dict_type"): "'options' must be an object",
}
_ITEM_COMPLAINTS = {
    ("source", "missing"): "'source' must be a string",
    ("source", "string_type"): "'source' must be a string",
    ("output", "string_type"): "'output' must be a string",
    ("options", "dict_type"): "'options' must be an object",
}


def _validated(
    model: type[Shape], value: Any, complaints: dict, expected: str, where: str
) -> Shape:
    """``model`` of ``value``, or ``ManifestError`` (``where`` is the manifest and place)."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        problems = error.errors()
        # An unknown key first: a misspelt "source" is why "source" is missing.
        problem = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
        field_name = str(problem["loc"][0])
        if problem["type"] == "extra_forbidden":
            message = f"unknown key {field_name!r}; expected {expected}"
        else:
            message = complaints[(field_name, problem["type"])]
        raise ManifestError(f"{where}: {message}") from None


def _parse_json(text: str, name: str) -> Manifest:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"manifest {name}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    options: dict[str, Any] = {}
    if isinstance(document, dict):
        parsed = _validated(
            _Document,
            document,
            _DOCUMENT_COMPLAINTS,
            "'items' and optional 'options'",
            f"manifest {name}",
        )
        options = parsed.options or {}
        unknown = sorted(set(options) - set(MANIFEST_OPTIONS))
        if unknown:
            raise ManifestError(
                f"manifest {name}: unknown option {unknown[0]!r}; known: {', '.join(MANIFEST_OPTIONS)}"
            )
        document = parsed.items
    if not isinstance(document, list):
        raise ManifestError(
            f"manifest {name}: expected a list of sources or an object with 'items'"
        )
    entries = [_json_entry(value, index, name) for index, value in enumerate(document)]
    return Manifest(entries=entries, options=options)


def _json_entry(value: Any, index: int, name: str) -> ManifestEntry:
    where = f"index {index}"
    if isinstance(value, str):
        return ManifestEntry(source=_clean(value, where, name), output=None, where=where)
    if isinstance(value, dict):
        item = _validated(
            _Item,
            value,
            _ITEM_COMPLAINTS,
            "'source' and optional 'output' and 'options'",
            f"manifest {name}, {where}",
        )
        return ManifestEntry(
            source=_clean(item.source, where, name),
            output=_clean(item.output, where, name) if item.output else None,
            where=where,
            options=_item_options(item.options, where, name),
        )
    raise ManifestError(
        f"manifest {name}, {where}: expected a source string or an object, got {type(value).__name__}"
    )


def _parse_csv(text: str, name: str) -> Manifest:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames
    except csv.Error as error:
        raise ManifestError(f"manifest {name}, line 1: {error}") from None
    if not header:
        raise ManifestError(
            f"manifest {name} is empty: expected a header row with a 'source' column"
        )
    columns = [column.strip().lower() for column in header]
    if "source" not in columns:
        raise ManifestError(
            f"manifest {name}, line 1: no 'source' column in the header ({', '.join(header)})"
        )
    reader.fieldnames = columns
    entries = []
    try:
        for row in reader:
            where = f"line {reader.line_num}"
            source = (row.get("source") or "").strip()
            if not source:
                if not any(
                    (value or "").strip() for value in row.values() if isinstance(value, str)
                ):
                    continue  # a blank line is not an item
                raise ManifestError(f"manifest {name}, {where}: empty 'source'")
            output = (row.get("output") or "").strip() or None
            entries.append(
                ManifestEntry(
                    source=_clean(source, where, name),
                    output=_clean(output, where, name) if output else None,
                    where=where,
                )
            )
    except csv.Error as error:
        raise ManifestError(f"manifest {name}, line {reader.line_num}: {error}") from None
    return Manifest(entries=entries, options={})


def _item_options(options: Any, where: str, name: str) -> dict[str, Any]:
    """An item's own output options (mask, bg_color, crop, margin, max_size), checked."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ManifestError(f"manifest {name}, {where}: 'options' must be an object")
    unknown = sorted(set(options) - set(OUTPUT_OPTIONS))
    if unknown:
        raise ManifestError(
            f"manifest {name}, {where}: unknown item option {unknown[0]!r}; an item may set "
            f"{', '.join(OUTPUT_OPTIONS)}"
        )
    try:
        OutputOptions.from_options(options)
    except ConfigError as error:
        raise ManifestError(f"manifest {name}, {where}: {error}") from None
    return dict(options)


def _clean(value: str, where: str, name: str) -> str:
    value = value.strip()
    if not value:
        raise ManifestError(f"manifest {name}, {where}: empty source")
    if any(ord(char) < 32 for char in value):
        raise ManifestError(f"manifest {name}, {where}: control character in {value!r}")
    return value
