"""Plan a run: turn a request into the list of items the Map processes.

A request names a prefix (``{"prefix": "s3://bucket/inputs/"}``), a manifest
(``{"manifest": "s3://bucket/manifests/spring.json"}``) or, as in the tutorial, one
key (``{"input_key": "inputs/cat.png"}``). Plan refuses a bad request or manifest
before any work, de-duplicates sources, gives every item an output key that never
collides, and writes ``items.json`` (what the Map reads) and ``plan.json`` (every
item, for the report).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lambdas import layout
from lambdas.models.preflight import preflight
from lambdas.payloads import ItemRecord, PlanResult, RunContext, WorkItem
from lambdas.planning.context import run_context
from lambdas.planning.done import already_done, ended_record, resumable
from lambdas.planning.items import number_items
from lambdas.planning.request import read_request, run_settings
from lambdas.planning.sources import Source, read_manifest, resolve_sources
from lambdas.run_store import RunStore, S3RunStore, open_store
from lambdas.settings import Settings, aws_region

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def plan_run(
    request: dict[str, Any],
    *,
    run_id: str,
    settings: Settings,
    s3: S3Client,
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
    asked = read_request(request)
    manifest = None
    if asked.kind == "manifest":
        reader = open_store(run_context(run_id, settings), s3=s3)
        manifest = read_manifest(asked.target, settings, reader)
    settings = run_settings(settings, asked, manifest[1] if manifest else None)
    check = preflight(
        settings.model,
        region=aws_region(),
        bedrock_client=bedrock() if bedrock and settings.simulate is None else None,
    )
    run = run_context(run_id, settings, warnings=check.warnings)
    store = open_store(run, s3=s3)
    sources = resolve_sources(asked.kind, asked.target, manifest, settings, store)
    items, ended = _ended_at_plan(sources, settings, run, store, asked.options.get("skip_done"))
    to_process = [item for item in items if item["item_id"] not in ended]
    items_bucket, items_key = store.write_plan(items, to_process, ended)
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


def _ended_at_plan(
    sources: list[Source], settings: Settings, run: RunContext, store: RunStore, skip_done: Any
) -> tuple[list[WorkItem], dict[str, ItemRecord]]:
    """Every item, and the records of those that end here.

    Skipped (duplicates; with ``skip_done``, cutouts newer than their source), failed
    (sources that cannot be items), or kept from an earlier run into the same place.
    """
    items, ended = number_items(sources, settings)
    if skip_done and isinstance(store, S3RunStore):
        ended.update(already_done(items, sources, ended, settings, store))
    records = {
        item["item_id"]: ended_record(item, *ended[item["item_id"]])
        for item in items
        if item["item_id"] in ended
    }
    return items, records | resumable(items, ended, run, store)
