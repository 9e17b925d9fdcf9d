from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from lambdas.errors import EmptyMaskError
from lambdas.models import BackgroundModel, get_model
from lambdas.models.local import LocalModel

PHOTOS = Path(__file__).resolve().parents[4] / "samples" / "photos"


def scene(background="plain", size=(320, 240)):
    """A filled ellipse (the subject) on a background; returns the image and the truth."""
    width, height = size
    if background == "plain":
        image = Image.new("RGB", size, (235, 236, 238))
    else:  # a soft gradient with noise, like a studio backdrop
        ramp = np.linspace(180, 230, width, dtype=np.float32)[None, :, None].repeat(height, 0)
        noise = np.random.default_rng(1).normal(0, 6, (height, width, 3))
        image = Image.fromarray(np.clip(ramp + noise, 0, 255).astype(np.uint8))
    truth = Image.new("L", size, 0)
    box = (width * 0.3, height * 0.25, width * 0.7, height * 0.8)
    ImageDraw.Draw(image).ellipse(box, fill=(30, 90, 170))
    ImageDraw.Draw(truth).ellipse(box, fill=255)
    return image, np.asarray(truth) > 127


def iou(mask: Image.Image, truth: np.ndarray) -> float:
    predicted = np.asarray(mask) > 127
    return (predicted & truth).sum() / (predicted | truth).sum()


@pytest.mark.parametrize("background", ["plain", "gradient"])
def test_subject_on_a_background(background):
    image, truth = scene(background)
    mask = LocalModel().remove_background(image)
    assert mask.mode == "L" and mask.size == image.size
    assert iou(mask, truth) > 0.9
    assert mask.getpixel((2, 2)) < 10 and mask.getpixel((160, 130)) > 245


@pytest.mark.parametrize(
    ("name", "subject_point"),
    [
        ("cat.png", (0.5, 0.45)),
        ("coffee.jpg", (0.45, 0.3)),
        ("astronaut.jpg", (0.3, 0.7)),
        ("rocket.jpg", (0.5, 0.5)),
    ],
)
def test_sample_photos_have_transparent_top_corners_and_an_opaque_subject(name, subject_point):
    image = Image.open(PHOTOS / name).convert("RGB")
    mask = LocalModel().remove_background(image)
    width, height = image.size
    assert mask.getpixel((1, 1)) < 30 and mask.getpixel((width - 2, 1)) < 30
    x, y = subject_point
    assert mask.getpixel((int(width * x), int(height * y))) > 200


def test_plain_image_has_no_subject():
    with pytest.raises(EmptyMaskError, match="no subject"):
        LocalModel().remove_background(Image.new("RGB", (120, 90), (200, 200, 200)))


@pytest.mark.parametrize("size", [(1, 1), (5, 3), (16, 16)])
def test_tiny_images_do_not_crash(size):
    image = Image.new("RGB", size, "white")
    image.putpixel((size[0] // 2, size[1] // 2), (0, 0, 0))
    try:
        mask = LocalModel().remove_background(image)
    except EmptyMaskError:
        return
    assert mask.size == size


def test_same_input_same_mask_and_registry():
    image, _ = scene("gradient")
    model = get_model("local")
    assert isinstance(model, BackgroundModel) and isinstance(model, LocalModel)
    first, second = model.remove_background(image), model.remove_background(image.copy())
    assert first.tobytes() == second.tobytes()
    assert model.cache_params()["version"] >= 1


def test_soft_edges():
    image, _ = scene("plain")
    blurred = image.filter(ImageFilter.GaussianBlur(1.5))
    values = set(np.unique(np.asarray(LocalModel().remove_background(blurred))))
    assert len(values) > 10  # an alpha ramp, not a hard 0/255 cut
