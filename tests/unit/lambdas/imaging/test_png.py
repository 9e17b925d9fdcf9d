import io

import numpy as np
import pytest
from PIL import Image

from lambdas.imaging import png
from lambdas.imaging.compose import apply_mask, encode_output


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.mark.parametrize("shape", [(37, 53), (37, 53, 3), (37, 53, 4)])
def test_round_trip_grey_rgb_rgba(shape):
    pixels = np.random.default_rng(3).integers(0, 256, size=shape, dtype=np.uint8)
    assert np.array_equal(decoded(png.encode_png(pixels)), pixels)


def test_many_strips_on_several_threads_make_one_valid_stream(monkeypatch):
    monkeypatch.setattr(png, "_STRIP_BYTES", 1000)  # about 8 rows a strip
    pixels = np.random.default_rng(5).integers(0, 256, size=(301, 40, 3), dtype=np.uint8)
    data = png.encode_png(pixels, threads=3)
    assert np.array_equal(decoded(data), pixels)
    Image.open(io.BytesIO(data)).verify()  # every chunk's CRC


def test_only_8_bit_pixels():
    with pytest.raises(ValueError, match="8-bit"):
        png.encode_png(np.zeros((4, 4, 3), np.uint16))


def test_a_cutout_is_smaller_than_pillows_fastest_png_and_decodes_the_same():
    rng = np.random.default_rng(7)
    photo = Image.fromarray(rng.integers(0, 256, size=(400, 600, 3), dtype=np.uint8))
    mask = Image.new("L", photo.size, 0)
    mask.paste(255, (150, 100, 450, 300))
    cutout = apply_mask(photo, mask, None)
    ours = encode_output(cutout, "png")
    buffer = io.BytesIO()
    cutout.save(buffer, format="PNG", compress_level=1)
    assert np.array_equal(decoded(ours), np.asarray(cutout))
    assert len(ours) < len(buffer.getvalue())


def test_invisible_pixels_are_black_and_visible_ones_kept():
    photo = Image.new("RGB", (20, 10), (200, 100, 50))
    mask = Image.new("L", (20, 10), 0)
    mask.paste(128, (10, 0, 20, 10))
    pixels = np.asarray(apply_mask(photo, mask, None))
    assert (pixels[:, :10] == 0).all()
    assert (pixels[:, 10:] == (200, 100, 50, 128)).all()
