import io
import tracemalloc

import pytest
from PIL import Image

from lambdas.errors import (
    CorruptImageError,
    EmptyFileError,
    ImageTooLargeError,
    UnsupportedFormatError,
)
from lambdas.imaging.validation import validate_image
from tests.images import bomb_png

CAPS = {"max_bytes": 10_000_000, "max_pixels": 50_000_000}


def encoded(fmt: str, size=(64, 48), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_formats_come_from_the_bytes(fmt):
    facts = validate_image(encoded(fmt), **CAPS)
    assert facts["format"] == fmt
    assert (facts["width"], facts["height"]) == (64, 48)
    assert len(facts["sha256"]) == 64 and facts["frames"] == 1


def test_animated_gif_counts_frames():
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (20, 20), (i * 40, 0, 0)) for i in range(3)]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    assert validate_image(buffer.getvalue(), **CAPS)["frames"] == 3


@pytest.mark.parametrize(
    ("data", "error", "text"),
    [
        (b"", EmptyFileError, "empty"),
        (b"%PDF-1.7\n%\xe2\xe3", UnsupportedFormatError, "PDF document"),
        (b"PK\x03\x04rest", UnsupportedFormatError, "ZIP"),
        (b"hello, this is text\n", UnsupportedFormatError, "text file"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", UnsupportedFormatError, "SVG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", CorruptImageError, "damaged HEIF"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00", UnsupportedFormatError, "video"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, CorruptImageError, "PNG"),
    ],
)
def test_non_images_and_damage_are_named(data, error, text):
    with pytest.raises(error) as raised:
        validate_image(data, **CAPS)
    assert text in str(raised.value)


def test_truncated_jpeg_and_png():
    jpeg = encoded("JPEG", size=(400, 300), quality=90)
    with pytest.raises(CorruptImageError, match="truncated JPEG"):
        validate_image(jpeg[: len(jpeg) // 2], **CAPS)
    noisy = Image.effect_noise((200, 200), 60).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    png = buffer.getvalue()
    with pytest.raises(CorruptImageError):
        validate_image(png[: len(png) * 2 // 3], **CAPS)


def test_byte_cap_is_checked_first():
    with pytest.raises(ImageTooLargeError, match="MB"):
        validate_image(encoded("PNG"), max_bytes=100, max_pixels=10**9)


def test_decompression_bomb_fails_from_the_header_cheaply():
    bomb = bomb_png()
    tracemalloc.start()
    with pytest.raises(ImageTooLargeError, match="100,000 x 100,000"):
        validate_image(bomb, **CAPS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000  # a decode would need 30 GB


def test_pixel_cap_below_pillows_own():
    data = encoded("PNG", size=(3000, 2000))
    with pytest.raises(ImageTooLargeError, match="6 megapixels"):
        validate_image(data, max_bytes=10**9, max_pixels=5_000_000)
