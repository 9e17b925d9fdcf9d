"""The model-sized copy: within the model's size, pixel and aspect limits."""

from __future__ import annotations

import io

from PIL import Image

from lambdas.errors import ImageTooSmallError
from lambdas.models.base import ModelLimits


def fit_for_model(image: Image.Image, limits: ModelLimits) -> tuple[Image.Image, list[int] | None]:
    """Scale ``image`` down into the model's limits and pad it to an accepted aspect ratio.

    Returns the copy and the padding added as ``[left, top, right, bottom]`` (or
    ``None``), so the mask can be cropped back to the image.

    Raises
    ------
    ImageTooSmallError
        If a side is below the model's minimum.
    """
    width, height = image.size
    if min(width, height) < limits.min_side:
        raise ImageTooSmallError(
            f"the image is {width} x {height} px; the model needs at least "
            f"{limits.min_side} px on each side"
        )
    scale = min(1.0, limits.max_side / max(width, height))
    if limits.max_pixels:
        scale = min(scale, (limits.max_pixels / (width * height)) ** 0.5)
    if scale < 1.0:
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return _pad_to_aspect(image, limits)


def _pad_to_aspect(image: Image.Image, limits: ModelLimits) -> tuple[Image.Image, list[int] | None]:
    if limits.aspect_range is None:
        return image, None
    low, high = limits.aspect_range
    width, height = image.size
    aspect = width / height
    if low <= aspect <= high:
        return image, None
    if aspect > high:
        new_width, new_height = width, int(round(width / high)) + 1
    else:
        new_width, new_height = int(round(height * low)) + 1, height
    left, top = (new_width - width) // 2, (new_height - height) // 2
    # Edge colour padding reads as more background to a model, unlike black bars.
    padded = Image.new("RGB", (new_width, new_height), _edge_colour(image))
    padded.paste(image, (left, top))
    return padded, [left, top, new_width - width - left, new_height - height - top]


def _edge_colour(image: Image.Image) -> tuple[int, int, int]:
    small = image.resize((8, 8), Image.Resampling.BOX)
    border = [
        small.getpixel((x, y)) for x in range(8) for y in range(8) if x in (0, 7) or y in (0, 7)
    ]
    return tuple(sorted(channel)[len(channel) // 2] for channel in zip(*border, strict=True))


def encode_for_model(image: Image.Image, fmt: str) -> bytes:
    """Encode the model-sized copy as ``PNG`` (lossless) or ``JPEG`` (quality 95)."""
    buffer = io.BytesIO()
    if fmt.upper() == "JPEG":
        image.save(buffer, format="JPEG", quality=95)
    else:
        image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
