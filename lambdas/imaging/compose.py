"""Put the model's mask on the full-resolution original and encode the cutout."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageChops

from lambdas.imaging.edges import refine_edges
from lambdas.imaging.png import encode_png

_INVISIBLE = [255] + [0] * 255  # a point() table: 255 where alpha is 0


def apply_mask(
    original: Image.Image, mask: Image.Image, pad: list[int] | None, *, refine: bool = True
) -> Image.Image:
    """Return ``original`` as RGBA with the mask (model-sized, maybe padded) as alpha.

    A smaller mask is scaled up and, with ``refine``, its edge redrawn against the
    original (``lambdas.imaging.edges``). An RGBA ``original`` (a transparent source)
    keeps its transparency: the cutout's alpha is at most the source's.

    ``original`` becomes the cutout (no copy of a big photo is made). Fully
    transparent pixels are made black: nobody sees them, and a PNG or WebP of the
    cutout is about half the size.
    """
    if pad:
        left, top, right, bottom = pad
        mask = mask.crop((left, top, mask.width - right, mask.height - bottom))
    factor = max(original.width / mask.width, original.height / mask.height)
    if mask.size != original.size:
        # The mask is smaller: a smooth filter gives soft, not blocky, edges.
        mask = mask.resize(original.size, Image.Resampling.BICUBIC)
    mask = mask.convert("L")
    if refine and factor > 1:
        mask = Image.fromarray(refine_edges(original, np.asarray(mask), factor))
    if original.mode == "RGBA":
        mask = ImageChops.darker(mask, original.getchannel("A"))
    original.paste((0,) * len(original.getbands()), mask=mask.point(_INVISIBLE))
    original.putalpha(mask)
    return original


def encode_output(cutout: Image.Image, fmt: str, *, fill=(255, 255, 255)) -> bytes:
    """Encode the cutout: ``png`` / ``webp`` keep transparency, ``jpeg`` sits on ``fill``.

    A mask (mode ``L``, ``lambdas.imaging.output``) is written as a grey image.
    """
    buffer = io.BytesIO()
    if cutout.mode == "L" and fmt != "png":
        cutout.save(buffer, format="WEBP" if fmt == "webp" else "JPEG", quality=92)
        return buffer.getvalue()
    if fmt == "png":
        return encode_png(np.asarray(cutout))
    if fmt == "webp":
        cutout.save(buffer, format="WEBP", quality=90, method=4, exact=False)
    elif fmt == "jpeg":
        flat = Image.new("RGB", cutout.size, fill)
        flat.paste(cutout, mask=cutout.getchannel("A"))
        flat.save(buffer, format="JPEG", quality=92)
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    return buffer.getvalue()


def make_preview(image: Image.Image, max_side: int = 320, *, opaque: bool = False) -> bytes:
    """A small JPEG (RGB) or PNG (RGBA) for the contact sheet, made without a full-size copy.

    With ``opaque`` an RGBA image is shown on white, as a JPEG.
    """
    factor = max(1, min(image.size) // (2 * max_side))
    preview = image.reduce(factor) if factor > 1 else image.copy()
    preview.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if preview.mode == "RGBA" and opaque:
        preview = Image.alpha_composite(Image.new("RGBA", preview.size, "white"), preview)
        preview = preview.convert("RGB")
    if preview.mode == "RGBA":
        preview.save(buffer, format="PNG", compress_level=6)
    else:
        preview.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
