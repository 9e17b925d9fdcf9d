"""Decode any accepted image into 8-bit sRGB RGB, the way a person sees it.

EXIF orientation is applied, an embedded ICC profile is converted to sRGB, CMYK /
palette / 16-bit / grey become RGB, and an animation gives its first frame. With
``max_side``, JPEGs decode at 1/2, 1/4 or 1/8 scale straight from the DCT
(``draft``), which is several times faster and lighter than a full decode.

A transparent source is flattened on white for the model; Store asks for it with its
alpha kept (``keep_alpha``), so the cutout is never more opaque than the source.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageCms, ImageOps

from lambdas.imaging.validation import open_image

_SRGB = ImageCms.createProfile("sRGB")
# EXIF orientations that swap width and height.
_TRANSPOSED = {5, 6, 7, 8}
#: The report's note on a transparent source (the same from Resize and from Store).
TRANSPARENCY_NOTE = "had transparency: the model saw it on white, the cutout keeps it"


def open_normalized(
    data: bytes, *, max_side: int | None = None, keep_alpha: bool = False
) -> tuple[Image.Image, list[str]]:
    """Return the image as RGB (oriented, sRGB) and notes for the report.

    Parameters
    ----------
    max_side
        When given, the longest side of the result is at most this (never upscaled).
        With ``None`` the full resolution is returned; both give the same geometry.
    keep_alpha
        Return a source with transparency as RGBA (its colours as they are, its alpha
        kept) instead of flattened on white.
    """
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = open_image(data)  # our caps, checked in Validate, replace Pillow's
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            notes.append(f"animated {image.format}: used frame 1 of {frames}")
            image.seek(0)
        orientation = image.getexif().get(0x0112, 1)
        if max_side is not None and image.format == "JPEG":
            width, height = image.size
            if orientation in _TRANSPOSED:
                width, height = height, width
            scale = max_side / max(width, height)
            if scale < 1:
                # draft picks the largest DCT scale that still covers the requested size.
                target = (image.size[0] * scale, image.size[1] * scale)
                image.draft(image.mode, (max(1, int(target[0])), max(1, int(target[1]))))
        image.load()
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    alpha = _transparency(image, notes)
    if alpha is not None:
        image = _flattened(image, alpha) if not keep_alpha else image.convert("RGB")
    image = _to_srgb_rgb(image, icc, notes)
    if alpha is not None and keep_alpha:
        image.putalpha(alpha)
    if max_side is not None and max(image.size) > max_side:
        image = _shrink(image, max_side)
    # The pixels are sRGB now; metadata (an ICC profile made at run time, EXIF) must not
    # follow them into encodings, or the same photo would hash differently per run.
    image.info = {}
    return image, notes


def _transparency(image: Image.Image, notes: list[str]) -> Image.Image | None:
    """The source's alpha channel, if it has one that is not all opaque."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode not in ("RGBA", "LA", "PA"):
        return None
    alpha = image.getchannel("A")
    if alpha.getextrema()[0] == 255:
        return None
    notes.append(TRANSPARENCY_NOTE)
    return alpha


def _flattened(image: Image.Image, alpha: Image.Image) -> Image.Image:
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image.convert("RGB"), mask=alpha)
    return background


def _to_srgb_rgb(image: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey (Pillow reads 16-bit colour PNGs as 8-bit RGB already).
        image = image.point(lambda value: value / 256).convert("L")
        notes.append("16-bit image reduced to 8 bits")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode not in ("RGB", "CMYK", "L"):
                image = image.convert("RGB")
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
            if converted is not None:
                if image.mode == "CMYK":
                    notes.append("CMYK converted to sRGB with its colour profile")
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            notes.append("colour profile unreadable: colours used as they are")
    if image.mode == "CMYK":
        notes.append("CMYK converted to RGB (no colour profile)")
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    factor = min(image.width // size[0], image.height // size[1])
    if factor >= 2:
        # reduce() is a fast box filter; the final LANCZOS pass keeps the detail.
        image = image.reduce(factor)
    return image.resize(size, Image.Resampling.LANCZOS)
