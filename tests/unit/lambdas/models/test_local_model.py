from pathlib import Path

import cv2
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
        ("cat.png", (0.5, 0.6)),  # the cat's face between the eyes and the nose
        ("coffee.jpg", (0.45, 0.3)),
        ("coffee.jpg", (0.5, 0.77)),  # the saucer's near rim, out of focus (v3 lost it)
        ("astronaut.jpg", (0.45, 0.25)),  # her face (the old model lost the head)
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


def textured_subjects(centres, size=(400, 300), backdrop=(228, 226, 220), seed=3):
    """Noisy, multicoloured discs (photo-like subjects) on a plain backdrop, with truth."""
    width, height = size
    rng = np.random.default_rng(seed)
    image = np.empty((height, width, 3), np.float32)
    image[:] = backdrop
    ys, xs = np.mgrid[0:height, 0:width]
    truth = np.zeros((height, width), bool)
    for cx, cy, radius in centres:
        disc = (xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2
        stripes = 60 + 80 * (np.sin(xs / 5.0)[..., None] > 0) * np.array([1.0, 0.4, 0.1])
        image[disc] = stripes[disc] + rng.normal(0, 10, (disc.sum(), 3))
        truth |= disc
    image += rng.normal(0, 2.0, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)), truth


def test_textured_subject_on_a_plain_backdrop_is_cut_out_closely():
    image, truth = textured_subjects([(200, 150, 90)])
    assert iou(LocalModel().remove_background(image), truth) >= 0.95


def test_two_separate_subjects_are_both_kept():
    image, truth = textured_subjects([(100, 150, 60), (300, 150, 45)])
    mask = np.asarray(LocalModel().remove_background(image)) > 127
    assert mask[150, 100] and mask[150, 300]
    assert iou(Image.fromarray(mask.astype(np.uint8) * 255), truth) >= 0.9


def test_a_ring_keeps_its_hole():
    image, truth = textured_subjects([(200, 150, 100)])
    pixels = np.array(image)
    ys, xs = np.mgrid[0:300, 0:400]
    hole = (xs - 200) ** 2 + (ys - 150) ** 2 <= 45**2
    pixels[hole] = (228, 226, 220)
    mask = LocalModel().remove_background(Image.fromarray(pixels))
    assert mask.getpixel((200, 150)) < 30
    assert iou(mask, truth & ~hole) >= 0.9


def test_a_spot_of_light_on_the_backdrop_is_not_a_subject():
    width, height = 400, 300
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 60 * np.clip(1 - np.hypot(xs - 300, ys - 200) / 250, 0, 1)  # a cone, not a bump
    base = np.stack([120 + light, 60 + light, 150 + light], axis=2)
    image, truth = textured_subjects([(110, 110, 60)], backdrop=(0, 0, 0))
    pixels = np.where(truth[..., None], np.asarray(image, np.float32), base)
    mask = LocalModel().remove_background(Image.fromarray(pixels.astype(np.uint8)))
    assert mask.getpixel((300, 200)) < 30
    assert iou(mask, truth) >= 0.9


def test_subject_on_a_textured_background():
    width, height = 400, 300
    rng = np.random.default_rng(5)
    grain = cv2.resize(rng.random((12, 16)).astype(np.float32), (width, height))
    background = np.stack([90 + 60 * grain, 120 + 50 * grain, 60 + 30 * grain], axis=2)
    background += rng.normal(0, 12, background.shape)
    image, truth = textured_subjects([(200, 150, 80)], backdrop=(0, 0, 0))
    subject = np.asarray(image, np.float32) * np.array([0.6, 0.6, 1.6])
    pixels = np.where(truth[..., None], subject, background)
    mask = LocalModel().remove_background(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    assert iou(mask, truth) >= 0.85


def test_a_tiled_wall_is_background_not_subject():
    """Tiles with thin joints fit a smooth surface at the border, yet are no backdrop."""
    width, height = 400, 300
    ys, xs = np.mgrid[0:height, 0:width]
    joints = ((ys % 30) < 3) | (((xs + 20 * ((ys // 30) % 2)) % 40) < 3)
    wall = np.where(joints[..., None], (140, 170, 150), (120, 125, 150)).astype(np.float32)
    wall += np.random.default_rng(2).normal(0, 3, wall.shape)
    image, truth = textured_subjects([(200, 160, 75)], backdrop=(0, 0, 0))
    pixels = np.where(truth[..., None], np.asarray(image, np.float32), wall)
    mask = np.asarray(LocalModel().remove_background(Image.fromarray(pixels.astype(np.uint8))))
    assert (mask[:10] > 127).mean() < 0.1  # the top rows are wall
    assert iou(Image.fromarray(mask), truth) >= 0.8


def test_a_mask_over_much_of_the_border_is_no_subject_on_a_backdrop():
    from lambdas.models.classical.backdrop import border_mask
    from lambdas.models.local import _claims_border

    border = border_mask((100, 100), 0.05)
    subject = np.zeros((100, 100), bool)
    subject[30:70, 30:70] = True
    subject[90:, 40:60] = True  # touching the bottom edge is fine
    joints = np.zeros((100, 100), bool)
    joints[::10, :] = joints[:, ::10] = True  # a grid of joints reaching every edge
    joints[:2, :] = True
    assert not _claims_border(subject, border)
    assert _claims_border(joints, border)


def test_a_salient_region_out_of_focus_is_only_probable_foreground():
    from lambdas.models.classical.backdrop import border_mask
    from lambdas.models.local import _seeds

    saliency = np.zeros((40, 60), np.float32)
    saliency[10:30, 5:25] = 1.0  # in focus
    saliency[10:30, 35:55] = 1.0  # out of focus
    defocus = np.zeros_like(saliency)
    defocus[:, 30:] = 0.9
    seeds = _seeds(saliency, defocus, border_mask(saliency.shape, 0.05))
    assert (seeds[10:30, 5:25] == cv2.GC_FGD).all()
    assert (seeds[10:30, 35:55] == cv2.GC_PR_FGD).all()
    assert (seeds[:, :2] == cv2.GC_BGD).all()
