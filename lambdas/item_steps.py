"""The per-item steps: Validate → Resize → Remove background → Store.

Each function takes the state the workflow passes (``ItemInput``) and its clients,
reads and writes images in S3 under the run's ``work/`` prefix, and returns the
small typed result the definition stores at the step's ``ResultPath``.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from lambdas import mask_cache, records, storage
from lambdas.errors import ModelThrottledError
from lambdas.imaging.compose import apply_mask, encode_output, make_preview
from lambdas.imaging.normalize import open_normalized
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

_CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}


def _work_key(state: ItemInput, name: str) -> str:
    return f"{state['run']['work_prefix']}{state['item']['item_id']}/{name}"


def _preview_key(state: ItemInput, name: str) -> str:
    return f"{state['run']['report_prefix']}previews/{state['item']['item_id']}_{name}"


def _source_bytes(state: ItemInput, s3: Any) -> bytes:
    return storage.read_bytes(s3, state["run"]["bucket"], state["item"]["source_key"])


def validate(state: ItemInput, *, s3: Any) -> ValidatedImage:
    """Check the source is an image bgremove can read, within the caps."""
    run = state["run"]
    data = _source_bytes(state, s3)
    facts = validate_image(data, max_bytes=run["max_bytes"], max_pixels=run["max_pixels"])
    return ValidatedImage(**facts)


def resize(state: ItemInput, *, s3: Any, model: BackgroundModel) -> ResizedImage:
    """Write the model-sized, oriented, sRGB copy the model will see."""
    limits = model.limits
    image, notes = open_normalized(_source_bytes(state, s3), max_side=limits.max_side)
    fitted, pad = fit_for_model(image, limits)
    key = _work_key(state, "model_input." + limits.input_format.lower())
    storage.write_bytes(
        s3,
        state["run"]["bucket"],
        key,
        encode_for_model(fitted, limits.input_format),
        f"image/{limits.input_format.lower()}",
    )
    return ResizedImage(
        model_input_key=key,
        width=fitted.width,
        height=fitted.height,
        pad=pad,
        notes=notes,
    )


def remove_background(state: ItemInput, *, s3: Any, model: BackgroundModel) -> MaskResult:
    """Ask the model for a soft mask of the model-sized copy, unless it is cached.

    The mask is stored under its cache key, which Store then reads.
    """
    run = state["run"]
    data = storage.read_bytes(s3, run["bucket"], state["resized"]["model_input_key"])
    key = mask_cache.cache_key(model, data)
    if mask_cache.lookup(s3, run["bucket"], key):
        return MaskResult(mask_key=key, model=model.name, model_calls=0, cached=True)
    attempts = state.get("retry_count", 0) + 1
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    try:
        mask = model.remove_background(image)
    except ModelThrottledError as error:
        # When retries run out this is the item's reason: say how many attempts it had.
        raise ModelThrottledError(f"{error} (attempt {attempts})") from error
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG", compress_level=1)
    storage.write_bytes(s3, run["bucket"], key, buffer.getvalue(), "image/png")
    return MaskResult(mask_key=key, model=model.name, model_calls=attempts, cached=False)


def store(state: ItemInput, *, s3: Any) -> ItemRecord:
    """Put the mask on the full-resolution original, write the cutout and its record."""
    run, item = state["run"], state["item"]
    original, notes = open_normalized(_source_bytes(state, s3))
    mask_bytes = storage.read_bytes(s3, run["bucket"], state["mask"]["mask_key"])
    with Image.open(io.BytesIO(mask_bytes)) as opened:
        mask = opened.convert("L")
    cutout = apply_mask(original, mask, state["resized"]["pad"])
    fmt = run["output_format"]
    storage.write_bytes(
        s3, run["bucket"], item["output_key"], encode_output(cutout, fmt), _CONTENT_TYPES[fmt]
    )

    before_key = _preview_key(state, "before.jpg")
    after_key = _preview_key(state, "after.png")
    storage.write_bytes(s3, run["bucket"], before_key, make_preview(original), "image/jpeg")
    storage.write_bytes(s3, run["bucket"], after_key, make_preview(cutout), "image/png")

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
    records.write_record(s3, run, record)
    return record
