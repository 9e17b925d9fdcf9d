"""Number a run's sources and give each item an output key that never collides."""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict

from lambdas.errors import DuplicateSourceError
from lambdas.imaging.output import OutputOptions
from lambdas.payloads import WorkItem
from lambdas.planning.sources import Source
from lambdas.settings import Settings

_EXTENSIONS = {"png": "png", "webp": "webp", "jpeg": "jpg"}


#: Why an item ends at Plan: ``(status, error type, message)``.
Ending = tuple[str, str, str]


def number_items(
    sources: list[Source], settings: Settings
) -> tuple[list[WorkItem], dict[str, Ending]]:
    """Number the sources and give each a unique output key.

    Returns the items and, by item id, those that end here: duplicates (skipped) and
    sources that cannot be items (failed).
    """
    width = max(6, len(str(len(sources))))
    numbered = {f"{index + 1:0{width}d}": source for index, source in enumerate(sources)}
    ended = _duplicates_and_problems(numbered)
    outputs = _output_keys(
        {item_id: source for item_id, source in numbered.items() if item_id not in ended},
        settings,
    )
    items = []
    for item_id, source in numbered.items():
        item = WorkItem(
            item_id=item_id,
            source=source.display,
            source_key=source.key,
            output_key=outputs.get(item_id, ""),
        )
        if source.fingerprint:
            item["fingerprint"] = source.fingerprint
        if source.options:
            item["options"] = source.options
        items.append(item)
    return items, ended


def _duplicates_and_problems(numbered: dict[str, Source]) -> dict[str, Ending]:
    """Sources that fail at Plan, and second mentions of a source (skipped)."""
    first_by_key: dict[str, str] = {}
    ended: dict[str, Ending] = {}
    for item_id, source in numbered.items():
        if source.problem:
            ended[item_id] = ("failed", *source.problem)
        elif source.key in first_by_key:
            ended[item_id] = (
                "skipped",
                DuplicateSourceError.__name__,
                f"duplicate of item {first_by_key[source.key]}: '{source.display}' is already in this run",
            )
        else:
            first_by_key[source.key] = item_id
    return ended


def _output_keys(numbered: dict[str, Source], settings: Settings) -> dict[str, str]:
    """Each item's output key, unique within the run."""
    extension = _EXTENSIONS[settings.output_format]
    by_output: dict[str, list[str]] = defaultdict(list)
    for item_id, source in numbered.items():
        by_output[_output_key(source, settings, extension, with_ext=False)].append(item_id)
    # Same-named files in one folder (cat.jpg, cat.png) would collide: keep their extensions.
    final: dict[str, str] = {}
    for output, item_ids in by_output.items():
        for item_id in item_ids:
            final[item_id] = (
                output
                if len(item_ids) == 1
                else _output_key(numbered[item_id], settings, extension, with_ext=True)
            )
    # Anything still colliding (e.g. two manifest rows asking for one output) gets its id.
    seen = Counter(final.values())
    for item_id, output in final.items():
        if seen[output] > 1:
            stem, dot, ext = output.rpartition(".")
            final[item_id] = f"{stem}_{item_id}{dot}{ext}"
    return final


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
