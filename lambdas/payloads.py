"""Typed payloads passed between the states of the workflow.

State payloads carry S3 keys and small metadata only, never image bytes: Step
Functions limits a state's input and output to 256 KiB.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

ItemStatus = Literal["succeeded", "failed", "skipped"]


class RunContext(TypedDict):
    """Settings shared by every item of one run; Plan makes it, the Map passes it on."""

    run_id: str
    bucket: str
    engine: Literal["local", "aws"]
    model: str
    model_options: dict[str, str]  # simulate / time_scale / model_path, for the model factory
    output_format: Literal["png", "webp", "jpeg"]
    runs_prefix: str  # runs/<run_id>/ : items.json, plan.json, records/
    work_prefix: str  # work/<run_id>/ : intermediate images, expire quickly
    report_prefix: str  # where report.json / report.csv / index.html go
    output_prefix: str  # cutouts go under it (outputs/)
    max_bytes: int
    max_pixels: int
    url_expiry_seconds: int
    warnings: list[str]  # e.g. the model is Legacy; shown in the report
    local: NotRequired[LocalContext]  # local runs: the folders of ``lambdas.layout.LocalPaths``
    output_options: NotRequired[dict]  # mask / bg_color / crop / margin / max_size


class LocalContext(TypedDict):
    """Where a local run reads and writes (``lambdas.run_store.LocalRunStore``)."""

    root: str  # sources are keys below this folder
    out: str  # --out
    cache: str | None  # masks kept between runs (None: not kept)
    label: str | None  # how the report names a single-image run's source


class WorkItem(TypedDict):
    """One entry of items.json: what the Map hands to each iteration."""

    item_id: str  # zero-padded index in the plan, unique in the run
    source: str  # as the user named it, for the report
    source_key: str  # key in the batch bucket
    output_key: str  # deterministic, never collides within a run
    fingerprint: NotRequired[str]  # local runs: size and mtime, so a re-run knows what changed
    options: NotRequired[dict]  # a manifest item's own output options (over the run's)


class ItemInput(TypedDict):
    """The state every per-item task receives (it grows as the steps run)."""

    item: WorkItem
    run: RunContext
    validated: NotRequired[ValidatedImage]
    resized: NotRequired[ResizedImage]
    mask: NotRequired[MaskResult]
    error: NotRequired[StateError]
    retry_count: NotRequired[int]  # RemoveBackground: $$.State.RetryCount (attempts so far)


class ValidatedImage(TypedDict):
    format: str  # JPEG / PNG / WEBP ..., from the magic bytes
    width: int
    height: int
    bytes: int
    sha256: str
    frames: int


class ResizedImage(TypedDict):
    model_input_key: str
    width: int  # of the model-sized copy, padding included
    height: int
    pad: list[int] | None  # [left, top, right, bottom] padding added for the model
    notes: list[str]  # e.g. "first frame of 12", "CMYK converted to sRGB"


class MaskResult(TypedDict):
    mask_key: str
    model: str
    model_calls: int  # calls this item cost, throttled attempts included; 0 when cached
    cached: bool


class StateError(TypedDict):
    """What a Catch puts at ``$.error``."""

    Error: str
    Cause: str


class ErrorInfo(TypedDict):
    type: str
    message: str


class ItemRecord(TypedDict):
    """The one record each item ends with; the report is built from these."""

    item_id: str
    source: str
    status: ItemStatus
    output_key: str | None
    error: ErrorInfo | None
    width: NotRequired[int]
    height: NotRequired[int]
    before_preview_key: NotRequired[str | None]
    after_preview_key: NotRequired[str | None]
    notes: NotRequired[list[str]]
    model_calls: NotRequired[int]
    cached: NotRequired[bool]
    run_id: NotRequired[str]  # local runs: the run that wrote it
    resumed: NotRequired[bool]  # local runs: the cutout an earlier run made is kept
    fingerprint: NotRequired[str]  # local runs: the source's, when the cutout was made
    options: NotRequired[str]  # local runs: what made the cutout (``records.run_signature``)


class PlanResult(TypedDict):
    run: RunContext
    items_bucket: str
    items_key: str  # runs/<run_id>/items.json, read by the Map's ItemReader
    results_prefix: str  # runs/<run_id>/map-results/: the Map's ResultWriter writes there
    total: int  # items in the plan, skipped ones included
    to_process: int
    concurrency: int
    first_item: WorkItem | None  # the single-image workflow's item (runs of one)


class PlanEvent(TypedDict):
    """Plan's input: the execution's name (the run id) and the user's request."""

    execution_name: NotRequired[str]
    request: dict[str, Any]


class RunEvent(TypedDict):
    """The input of a step that acts on the whole run (Report)."""

    run: RunContext


class StepStatus(TypedDict):
    """What Store and RecordFailure return to the Map: the item's final status."""

    status: ItemStatus


class ItemCounts(TypedDict):
    """How many items a run has, by status (the report's and the execution's ``counts``)."""

    total: int
    succeeded: int
    failed: int
    skipped: int


class RunSummary(TypedDict):
    """The execution's output."""

    run_id: str
    counts: ItemCounts
    bucket: str  # where report_key is (``bgremove status --links`` re-signs from it)
    report_key: str
    report_url: str
    output_url: str | None  # the cutout's link, when the run has exactly one item
