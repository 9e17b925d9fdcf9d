"""Inputs people have: HEIC and AVIF photos, 108 MP phone photos, 16-bit TIFFs."""

from __future__ import annotations

import io
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cli.main import main
from lambdas.errors import ImageTooLargeError
from lambdas.imaging.normalize import open_normalized
from lambdas.imaging.validation import sniff_format, validate_image
from lambdas.settings import MAX_BYTES, MAX_PIXELS, Settings, megabytes, megapixels
from tests.images import bomb_png

README = Path(__file__).resolve().parents[4] / "README.md"
OLD_MAX_BYTES = 50 * 1024 * 1024  # the cap before phones' and cameras' sizes were measured


def photo(size=(96, 64)) -> Image.Image:
    image = Image.new("RGB", size, (10, 120, 200))
    ImageDraw.Draw(image).rectangle((32, 16, 64, 48), fill=(250, 250, 250))
    return image


def encoded(fmt: str, image: Image.Image | None = None, **save) -> bytes:
    buffer = io.BytesIO()
    (image or photo()).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def tiff16(width: int, height: int) -> bytes:
    """A baseline, uncompressed, little-endian 16-bit RGB TIFF in one strip."""
    pixels = np.zeros((height, width, 3), "<u2")
    pixels[..., 0] = np.linspace(0, 65535, width, dtype="<u2")
    pixels[..., 2] = 40000
    body = pixels.tobytes()
    entries = [  # tag, type (3 SHORT, 4 LONG), count, value
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 3, "bits"),
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, 2),  # RGB
        (273, 4, 1, "strip"),
        (277, 3, 1, 3),
        (278, 4, 1, height),
        (279, 4, 1, len(body)),
        (284, 3, 1, 1),
    ]
    bits_offset = 8 + 2 + 12 * len(entries) + 4
    offsets = {"bits": bits_offset, "strip": bits_offset + 6}
    out = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries)))
    for tag, kind, count, value in entries:
        value = offsets.get(value, value)
        if kind == 3 and count == 1:
            out += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, kind, count, value)
    out += struct.pack("<I", 0) + struct.pack("<HHH", 16, 16, 16)
    return bytes(out + body)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heic_and_avif_round_trip(fmt):
    data = encoded(fmt, quality=90)
    assert sniff_format(data) == fmt
    facts = validate_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    assert (facts["format"], facts["width"], facts["height"]) == (fmt, 96, 64)
    image, _ = open_normalized(data)
    assert image.mode == "RGB" and image.size == (96, 64)
    pixels = np.asarray(image, np.int16)
    assert np.abs(pixels[32, 48] - (250, 250, 250)).max() < 12
    assert np.abs(pixels[4, 4] - (10, 120, 200)).max() < 12
    small, _ = open_normalized(data, max_side=48)
    assert small.size == (48, 32)


@pytest.mark.slow  # a whole `bgremove run`
def test_a_heic_photo_runs_through_bgremove(tmp_path, capsys):
    source = tmp_path / "phone"
    source.mkdir()
    (source / "IMG_0001.HEIC").write_bytes(encoded("HEIF", photo((320, 240)), quality=90))
    (source / "web.avif").write_bytes(encoded("AVIF", photo((320, 240)), quality=90))
    out = tmp_path / "out"
    assert main(["run", str(source), "--out", str(out), "--quiet", "--no-cache"]) == 0, (
        capsys.readouterr().err
    )
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["succeeded"] == 2
    with Image.open(out / "IMG_0001_bg_removed.png") as cutout:
        assert cutout.size == (320, 240) and cutout.mode == "RGBA"


def test_a_108_megapixel_header_passes_the_caps():
    # 12,000 x 9,000 = 108 MP, as a 108 MP phone sensor writes; the old cap was 100 MP.
    facts = validate_image(bomb_png(12_000, 9_000), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    assert (facts["width"], facts["height"]) == (12_000, 9_000)
    with pytest.raises(ImageTooLargeError):
        validate_image(bomb_png(12_000, 9_000), max_bytes=MAX_BYTES, max_pixels=100_000_000)
    # Above Pillow's own 179 MP refusal but within ours: our cap decides, not Pillow's.
    assert validate_image(bomb_png(16_000, 12_000), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    with pytest.raises(ImageTooLargeError, match="above the 200 megapixels limit"):
        validate_image(bomb_png(16_000, 12_600), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)


@pytest.mark.slow  # builds and decodes a 144 MB TIFF
def test_a_24_megapixel_16_bit_tiff_over_the_old_byte_cap_passes():
    data = tiff16(6000, 4000)
    assert len(data) > 144_000_000 > OLD_MAX_BYTES
    settings = Settings()
    facts = validate_image(data, max_bytes=settings.max_bytes, max_pixels=settings.max_pixels)
    assert (facts["format"], facts["width"], facts["height"]) == ("TIFF", 6000, 4000)
    image, _ = open_normalized(data, max_side=1024)
    assert image.size == (1024, 683) and image.mode == "RGB"
    assert image.getpixel((1023, 0))[0] > 240 and image.getpixel((0, 0))[0] < 10


def test_the_messages_print_the_caps_the_readme_states():
    settings = Settings()
    with pytest.raises(ImageTooLargeError) as too_many_bytes:
        validate_image(b"\xff\xd8\xff" + bytes(settings.max_bytes), **caps(settings))
    with pytest.raises(ImageTooLargeError) as too_many_pixels:
        validate_image(bomb_png(20_000, 20_000), **caps(settings))
    row = next(line for line in README.read_text().splitlines() if "`ImageTooLargeError`" in line)
    stated = re.search(r"\(([\d,]+ MB), ([\d,]+ megapixels)", row)
    assert stated.groups() == (megabytes(settings.max_bytes), megapixels(settings.max_pixels))
    assert f"above the {stated[1]} limit" in str(too_many_bytes.value)
    assert f"above the {stated[2]} limit" in str(too_many_pixels.value)
    assert megabytes(settings.max_bytes) == f"{settings.max_bytes // 1_000_000} MB"


def caps(settings: Settings) -> dict:
    return {"max_bytes": settings.max_bytes, "max_pixels": settings.max_pixels}


def test_without_pillow_heif_a_heic_photo_is_refused_by_name(monkeypatch):
    """An installation without pillow-heif says why a HEIC photo fails."""
    from lambdas.errors import UnsupportedFormatError
    from lambdas.imaging import validation

    monkeypatch.setattr(
        validation, "READABLE", tuple(f for f in validation.READABLE if f != "HEIF")
    )
    with pytest.raises(UnsupportedFormatError, match="HEIF image.*pillow-heif is not installed"):
        validate_image(encoded("HEIF"), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
