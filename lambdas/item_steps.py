"""The per-item steps: Validate → Resize → Remove background → Store.

Each function takes the state the workflow passes (``ItemInput``) and the run's
store (``lambdas.run_store``), reads and writes through its verbs, and returns the
small typed result the definition stores at the step's ``ResultPath``.
"""

from __future__ import annotations

import io

from PIL import Image

from lambdas import mask_cache, records
from lambdas.errors import ModelThrottledError
from lambdas.imaging.compose import apply_mask, encode_output, make_preview
from lambdas.imaging.normalize import open_normalized
from lambdas.imaging.output import OutputOptions, finish
from lambdas.imaging.resize import encode_for_model, fit_for_model
from lambdas.imaging.validation import validate_image
from lambdas.models.base import BackgroundModel
from lambdas.payloads import (
    ItemInput,
    ItemRecord,
    MaskResult,
    ResizedImage,
    ValidatedImage,
)
from lambdas.run_store import RunStore

_CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}


def _source_bytes(state: ItemInput, store: RunStore) -> bytes:
    return store.read_source(state["item"]["source_key"])


def validate(state: ItemInput, *, store: RunStore) -> ValidatedImage:
    """Check the source is an image bgremove can read, within the caps."""
    run = state["run"]
    data = _source_bytes(state, store)
    return validate_image(data, max_bytes=run["max_bytes"], max_pixels=run["max_pixels"])


def resize(state: ItemInput, *, store: RunStore, model: BackgroundModel) -> ResizedImage:
    """Write the model-sized, oriented, sRGB copy the model will see."""
    limits = model.limits
    image, notes = open_normalized(_source_bytes(state, store), max_side=limits.max_side)
    fitted, pad = fit_for_model(image, limits)
    key = store.write_model_input(
        state["item"], encode_for_model(fitted, limits.input_format), limits.input_format
    )
    return ResizedImage(
        model_input_key=key,
        width=fitted.width,
        height=fitted.height,
        pad=pad,
        notes=notes,
    )


def remove_background(state: ItemInput, *, store: RunStore, model: BackgroundModel) -> MaskResult:
    """Ask the model for a soft mask of the model-sized copy, unless it is cached.

    The mask is stored under its cache key, which Store then reads.
    """
    data = store.read_model_input(state["resized"]["model_input_key"])
    simulated = "simulate" in state["run"]["model_options"]
    key = mask_cache.cache_key(model, data, simulated=simulated)
    if store.has_mask(key):
        return MaskResult(mask_key=key, model=model.name, model_calls=0, cached=True)
    attempts = state.get("retry_count", 0) + 1
    try:
        mask = _mask_of(model, data)
    except ModelThrottledError as error:
        # When retries run out this is the item's reason: say how many attempts it had.
        raise ModelThrottledError(f"{error} (attempt {attempts})") from error
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG", compress_level=1)
    store.write_mask(key, buffer.getvalue())
    return MaskResult(mask_key=key, model=model.name, model_calls=attempts, cached=False)


def _mask_of(model: BackgroundModel, data: bytes) -> Image.Image:
    """The model's mask of the stored copy. A model that takes the encoding as it is
    (Bedrock's) gets it so: no decode and no re-encode on every retry.
    """
    with Image.open(io.BytesIO(data)) as opened:
        send_as_stored = getattr(model, "remove_background_encoded", None)
        if send_as_stored is not None:
            return send_as_stored(data, opened.size)
        return model.remove_background(opened.convert("RGB"))


def store(state: ItemInput, *, store: RunStore) -> ItemRecord:
    """Put the mask on the full-resolution original, write the cutout and its record.

    The record is written last: a record that says succeeded means the cutout is there.
    """
    run, item = state["run"], state["item"]
    # A transparent source stays RGBA: apply_mask bounds the cutout by its alpha.
    original, notes = open_normalized(_source_bytes(state, store), keep_alpha=True)
    with Image.open(io.BytesIO(store.read_mask(state["mask"]["mask_key"]))) as opened:
        mask = opened.convert("L")
    before = make_preview(original, opaque=True)
    cutout = apply_mask(original, mask, state["resized"]["pad"])
    options = OutputOptions.for_item(run, item)
    cutout = finish(cutout, options)
    fmt = run["output_format"]
    store.write_cutout(item, encode_output(cutout, fmt, fill=options.fill()), _CONTENT_TYPES[fmt])
    before_key = store.write_preview(item, "before.jpg", before, "image/jpeg")
    after_key = store.write_preview(item, "after.png", make_preview(cutout), "image/png")

    record = ItemRecord(
        item_id=item["item_id"],
        source=item["source"],
        status="succeeded",
        output_key=item["output_key"],
        error=None,
        width=cutout.width,
        height=cutout.height,
        before_preview_key=before_key,
        after_preview_key=after_key,
        notes=list(dict.fromkeys(state["resized"].get("notes", []) + notes)),
        model_calls=state["mask"].get("model_calls", 1),
        cached=state["mask"].get("cached", False),
    )
    if run.get("local"):
        record["options"] = records.run_signature(run, item)
        if item.get("fingerprint"):
            record["fingerprint"] = item["fingerprint"]
    store.write_record(item, record)
    store.discard_work(item)
    return record
