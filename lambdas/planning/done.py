"""Items that end at Plan: done by an earlier run, or with a newer cutout already there."""

from __future__ import annotations

import posixpath

from lambdas import records
from lambdas.errors import AlreadyDoneError
from lambdas.payloads import ItemRecord, RunContext, WorkItem
from lambdas.planning.sources import Source
from lambdas.run_store import RunStore, S3RunStore
from lambdas.settings import Settings

#: The note on an item whose cutout an earlier run into the same folder made.
RESUMED_NOTE = "done by an earlier run: kept"


def resumable(
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


def ended_record(item: WorkItem, status: str, kind: str, message: str) -> ItemRecord:
    """The record of an item that ends at Plan: skipped (duplicate, done) or failed."""
    return ItemRecord(
        item_id=item["item_id"],
        source=item["source"],
        status=status,  # type: ignore[typeddict-item]
        output_key=None,
        error={"type": kind, "message": message},
    )


def already_done(
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
