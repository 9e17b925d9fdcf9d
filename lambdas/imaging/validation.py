"""Validate a source before any real work: format from the bytes, caps, integrity.

The order matters: the byte cap is checked first, then the pixel count from the
header alone, and only then is anything decoded, so a decompression bomb (a tiny
file claiming billions of pixels) fails fast and cheaply. Our caps
(``lambdas.settings``) replace Pillow's global one (``Image.MAX_IMAGE_PIXELS``,
which refuses above 179 MP): ``open_image`` opens with the format's own plugin.

HEIC/HEIF (phones' default) is decoded by the ``pillow-heif`` wheel, AVIF by
Pillow itself (12.2 bundles libavif).
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings

from PIL import Image, UnidentifiedImageError

from lambdas.errors import (
    CorruptImageError,
    EmptyFileError,
    ImageTooLargeError,
    UnsupportedFormatError,
)
from lambdas.payloads import ValidatedImage
from lambdas.settings import megabytes, megapixels

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_READABLE = True
except ImportError:  # pragma: no cover - pinned in requirements.txt
    HEIF_READABLE = False

#: Formats bgremove decodes (they are normalised to RGB later).
READABLE = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF") + (
    ("HEIF",) if HEIF_READABLE else ()
)
#: ISO-BMFF (``ftyp``) brands: AVIF's, and HEIF's (HEVC-coded, as phones write them).
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}

# Magic numbers of files people drop into photo folders that are not images we read.
_NOT_IMAGES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg media file"),
    (b"\x00\x00\x01\x00", "a Windows icon"),
    (b"8BPS", "a Photoshop document"),
)


def sniff_format(data: bytes) -> str | None:
    """The image format named by the file's magic bytes, or ``None``."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data.startswith(b"BM"):
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    brands = _ftyp_brands(data)
    if brands & _AVIF_BRANDS:
        return "AVIF"
    if brands & _HEIF_BRANDS or (brands and brands <= {b"mif1", b"msf1", b"miaf"}):
        return "HEIF"
    return None


def _ftyp_brands(data: bytes) -> set[bytes]:
    """The major and compatible brands of an ISO-BMFF file's ``ftyp`` box (or none)."""
    if data[4:8] != b"ftyp":
        return set()
    size = min(int.from_bytes(data[:4], "big"), len(data), 256)
    brands = {data[8:12]}
    brands.update(data[offset : offset + 4] for offset in range(16, size - 3, 4))
    return brands


def open_image(data: bytes) -> Image.Image:
    """Open ``data`` lazily (header only) with its format's plugin.

    Unlike ``Image.open`` this applies no global pixel cap: callers check ours
    (``validate_image``) before decoding.

    Raises
    ------
    UnidentifiedImageError
        The bytes are no format Pillow can open.
    """
    fmt = sniff_format(data)
    Image.init()
    if fmt in Image.OPEN and fmt in READABLE:
        factory, accept = Image.OPEN[fmt]
        if accept is None or accept(data[:16]):
            try:
                return factory(io.BytesIO(data), "")
            except (SyntaxError, IndexError, TypeError, struct.error) as error:
                raise UnidentifiedImageError(f"cannot identify the {fmt} image: {error}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def describe_non_image(data: bytes) -> str:
    """A plain description of what a non-image file seems to be."""
    for magic, description in _NOT_IMAGES:
        if data.startswith(magic):
            return description
    if data[4:8] == b"ftyp":
        return "an MP4/QuickTime video"
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "an SVG drawing (vector images are not supported: export it as PNG)"
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    try:
        data[:4096].decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "an unknown binary format"


def validate_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ValidatedImage:
    """Check ``data`` is an image bgremove can process.

    Raises
    ------
    EmptyFileError, UnsupportedFormatError, ImageTooLargeError, CorruptImageError
    """
    size = len(data)
    if size == 0:
        raise EmptyFileError("the file is empty (0 bytes)")
    if size > max_bytes:
        raise ImageTooLargeError(
            f"the file is {megabytes(size)}, above the {megabytes(max_bytes)} limit"
        )
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedFormatError(f"not an image: the file is {describe_non_image(data)}")
    if fmt not in READABLE:
        raise UnsupportedFormatError(
            f"a {fmt} image, which this installation cannot decode (pillow-heif is not "
            "installed): convert it to JPEG or PNG"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = open_image(data)
        except Image.DecompressionBombError:
            image = None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise CorruptImageError(
                f"damaged {fmt} file: its header cannot be read ({error})"
            ) from None
        if image is None:
            claimed = _png_header_size(data) if fmt == "PNG" else None
            if claimed is None:
                raise ImageTooLargeError(
                    f"the {fmt} header claims more pixels than can be decoded safely "
                    f"(above the {megapixels(max_pixels)} limit)"
                )
            width, height = claimed
        else:
            width, height = image.size
        pixels = width * height
        if pixels > max_pixels:
            raise ImageTooLargeError(
                f"the image is {width:,} x {height:,} = {megapixels(pixels)}, "
                f"above the {megapixels(max_pixels)} limit"
            )
        if image is None:
            raise CorruptImageError(f"damaged {fmt} file: its header cannot be read")
        frames = getattr(image, "n_frames", 1)
        _check_integrity(image, fmt, size)
    return ValidatedImage(
        format=fmt,
        width=width,
        height=height,
        bytes=size,
        sha256=hashlib.sha256(data).hexdigest(),
        frames=frames,
    )


def _png_header_size(data: bytes) -> tuple[int, int] | None:
    """The size a PNG's IHDR claims (Pillow refused to open it as a bomb)."""
    if len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _check_integrity(image: Image.Image, fmt: str, size: int) -> None:
    """Find truncation or damage cheaply: JPEGs decode at 1/8 scale (which reads every
    byte), PNGs check each chunk's CRC; others decode.
    """
    try:
        if fmt == "PNG":
            # Every chunk's CRC, without inflating the pixels: the full decode is Store's.
            image.verify()
            return
        if fmt == "JPEG":
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        text = str(error)
        if any(sign in text.lower() for sign in _TRUNCATION_SIGNS):
            raise CorruptImageError(
                f"truncated {fmt}: the file ends before the image data does ({size:,} bytes)"
            ) from None
        raise CorruptImageError(f"damaged {fmt} file: {text}") from None


#: What Pillow's errors say when a file ends early (decoding, or a PNG's chunks).
_TRUNCATION_SIGNS = (
    "truncated",
    "broken data stream",
    "image file is",
    "incomplete",
    "chunk b'ien",
)
