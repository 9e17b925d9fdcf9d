import io

import pytest
from PIL import Image, ImageCms, ImageDraw

from lambdas.errors import ImageTooSmallError
from lambdas.imaging.compose import apply_mask, encode_output, make_preview
from lambdas.imaging.normalize import open_normalized
from lambdas.imaging.resize import encode_for_model, fit_for_model
from lambdas.models.base import ModelLimits


def save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def marked(size=(300, 200)) -> Image.Image:
    """White with a red square in the top-left quarter, to check orientation."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((10, 10, 60, 60), fill=(255, 0, 0))
    return image


@pytest.mark.parametrize(("orientation", "corner"), [(6, "top-right"), (8, "bottom-left")])
def test_exif_orientation_is_applied(orientation, corner):
    exif = Image.Exif()
    exif[0x0112] = orientation
    image, _ = open_normalized(save(marked(), "JPEG", exif=exif.tobytes(), quality=95))
    assert image.size == (200, 300)
    x, y = {"top-right": (200 - 35, 35), "bottom-left": (35, 300 - 35)}[corner]
    red, green, _ = image.getpixel((x, y))
    assert red > 200 and green < 80


def test_modes_become_8bit_srgb_rgb_with_notes():
    cmyk, notes = open_normalized(save(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG"))
    assert cmyk.mode == "RGB" and "CMYK" in " ".join(notes)
    palette, _ = open_normalized(save(marked().convert("P"), "PNG"))
    assert palette.mode == "RGB" and palette.getpixel((30, 30))[0] > 200
    deep = Image.new("I;16", (20, 20), 65535)
    grey16, notes = open_normalized(save(deep, "PNG"))
    assert grey16.mode == "RGB" and grey16.getpixel((5, 5)) == (255, 255, 255)
    rgba = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    flat, notes = open_normalized(save(rgba, "PNG"))
    assert flat.getpixel((5, 5)) == (255, 255, 255) and "the cutout keeps it" in notes[0]


def test_a_transparent_source_is_flat_for_the_model_and_keeps_its_alpha_for_the_cutout():
    source = Image.new("RGBA", (20, 10), (10, 120, 200, 255))
    source.paste((10, 120, 200, 0), (0, 0, 10, 10))
    flat, notes = open_normalized(save(source, "PNG"))
    kept, kept_notes = open_normalized(save(source, "PNG"), keep_alpha=True)
    assert flat.mode == "RGB" and flat.getpixel((2, 2)) == (255, 255, 255)
    assert kept.mode == "RGBA" and kept.getpixel((2, 2)) == (10, 120, 200, 0)
    assert kept.getpixel((15, 5)) == (10, 120, 200, 255)
    assert (
        notes == kept_notes == ["had transparency: the model saw it on white, the cutout keeps it"]
    )
    opaque, _ = open_normalized(save(source.convert("RGB"), "PNG"), keep_alpha=True)
    assert opaque.mode == "RGB"


def test_embedded_profile_is_converted_and_dropped():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image, _ = open_normalized(save(marked(), "PNG", icc_profile=profile))
    assert image.mode == "RGB" and "icc_profile" not in image.info


def test_animation_uses_the_first_frame_and_says_so():
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "green", "blue")]
    data = save(frames[0], "GIF", save_all=True, append_images=frames[1:])
    image, notes = open_normalized(data)
    assert image.getpixel((5, 5))[0] > 200
    assert notes == ["animated GIF: used frame 1 of 3"]


def test_jpeg_draft_path_gives_the_requested_size_and_same_geometry():
    big = marked((4000, 3000)).resize((4000, 3000))
    data = save(big, "JPEG", quality=90)
    small, _ = open_normalized(data, max_side=500)
    full, _ = open_normalized(data)
    assert max(small.size) == 500 and small.size == (500, 375)
    assert full.size == (4000, 3000)


def test_fit_for_model_scales_and_pads_to_the_aspect_range_and_mask_comes_back_aligned():
    original = Image.new("RGB", (1200, 300), "white")
    ImageDraw.Draw(original).rectangle((100, 100, 200, 200), fill="black")
    limits = ModelLimits(max_side=600, aspect_range=(0.5, 2.0))
    fitted, pad = fit_for_model(original, limits)
    assert max(fitted.size) <= 600 and fitted.width / fitted.height <= 2.0
    assert pad is not None and pad[0] == pad[2] == 0 and pad[1] + pad[3] > 0
    # A mask that marks the black square in the padded copy lands on it at full size.
    mask = fitted.convert("L").point(lambda value: 255 if value < 128 else 0)
    cutout = apply_mask(original, mask, pad)
    assert cutout.size == original.size and cutout.mode == "RGBA"
    assert cutout.getchannel("A").getpixel((150, 150)) > 200
    assert cutout.getchannel("A").getpixel((600, 150)) < 30


def test_too_small_for_the_model():
    with pytest.raises(ImageTooSmallError, match="at least 64 px"):
        fit_for_model(Image.new("RGB", (40, 100)), ModelLimits(min_side=64))


@pytest.mark.parametrize(("fmt", "mode"), [("png", "RGBA"), ("webp", "RGBA"), ("jpeg", "RGB")])
def test_output_formats_round_trip(fmt, mode):
    cutout = Image.new("RGBA", (40, 30), (200, 10, 10, 0))
    cutout.putpixel((20, 15), (200, 10, 10, 255))
    decoded = Image.open(io.BytesIO(encode_output(cutout, fmt)))
    assert decoded.size == (40, 30) and decoded.mode == mode
    if mode == "RGB":
        assert decoded.getpixel((0, 0))[1] > 240  # transparent areas sit on white


def test_previews_are_small_and_keep_transparency():
    preview = Image.open(io.BytesIO(make_preview(Image.new("RGBA", (2000, 1000)))))
    assert max(preview.size) == 320 and preview.mode == "RGBA"
    assert Image.open(io.BytesIO(make_preview(Image.new("RGB", (100, 50))))).format == "JPEG"
    assert (
        Image.open(io.BytesIO(encode_for_model(Image.new("RGB", (8, 8)), "JPEG"))).format == "JPEG"
    )
