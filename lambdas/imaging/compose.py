"""Put the model's mask on the full-resolution original and encode the cutout."""

from __future__ import annotations

import io

from PIL import Image


def apply_mask(original: Image.Image, mask: Image.Image, pad: list[int] | None) -> Image.Image:
    """Return ``original`` as RGBA with the mask (model-sized, maybe padded) as alpha."""
    if pad:
        left, top, right, bottom = pad
        mask = mask.crop((left, top, mask.width - right, mask.height - bottom))
    if mask.size != original.size:
        # The mask is smaller: a smooth filter gives soft, not blocky, edges.
        mask = mask.resize(original.size, Image.Resampling.BICUBIC)
    cutout = original.convert("RGBA")
    cutout.putalpha(mask.convert("L"))
    return cutout


def encode_output(cutout: Image.Image, fmt: str, *, fill=(255, 255, 255)) -> bytes:
    """Encode the cutout: ``png`` / ``webp`` keep transparency, ``jpeg`` sits on ``fill``."""
    buffer = io.BytesIO()
    if fmt == "png":
        cutout.save(buffer, format="PNG", compress_level=6)
    elif fmt == "webp":
        cutout.save(buffer, format="WEBP", quality=90, method=4, exact=False)
    elif fmt == "jpeg":
        flat = Image.new("RGB", cutout.size, fill)
        flat.paste(cutout, mask=cutout.getchannel("A"))
        flat.save(buffer, format="JPEG", quality=92)
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    return buffer.getvalue()


def make_preview(image: Image.Image, max_side: int = 320) -> bytes:
    """A small JPEG (RGB) or PNG (RGBA) for the contact sheet."""
    preview = image.copy()
    preview.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if preview.mode == "RGBA":
        preview.save(buffer, format="PNG", compress_level=6)
    else:
        preview.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
