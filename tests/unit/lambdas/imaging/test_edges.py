"""Edge refinement on a 6000×4000 photo: hard edges sharp, soft edges soft, no halo.

The scene: a warm subject on a dark blue background, its left, top and bottom edges
hard (a step at a position that is not on the model's pixel grid), its right edge
soft (a 40 px ramp, as a blurred edge or fur gives). The model's mask is the truth
seen at 400 px (and at 1024 px), a little blurred, as models give it.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from lambdas.imaging import edges
from lambdas.imaging.compose import apply_mask

WIDTH, HEIGHT = 6000, 4000
LEFT, RIGHT, TOP, BOTTOM = 1503, 4500, 1001, 3001  # RIGHT: the soft ramp's middle
RAMP = 40
FOREGROUND, BACKGROUND = (200, 160, 120), (30, 40, 60)
ROW = 2000  # a row through the middle of the subject
#: Beyond this many pixels from the subject, alpha must be ~0; this far inside, ~1.
CLEAR = 8


def truth_columns() -> np.ndarray:
    x = np.arange(WIDTH, dtype=np.float32)
    return np.clip((RIGHT - x) / RAMP + 0.5, 0, 1) * (x >= LEFT)


def scene() -> tuple[Image.Image, np.ndarray]:
    """The photo (RGB) and its true alpha (float, 0..1)."""
    columns = truth_columns()
    rows = (np.arange(HEIGHT) >= TOP) & (np.arange(HEIGHT) < BOTTOM)
    subject = columns[:, None] * FOREGROUND + (1 - columns[:, None]) * BACKGROUND
    line = np.round(subject).astype(np.uint8)
    photo = np.where(rows[:, None, None], line[None], np.uint8(BACKGROUND))
    truth = rows[:, None] * columns[None, :]
    return Image.fromarray(photo.astype(np.uint8)), truth


def model_mask(truth: np.ndarray, side: int) -> Image.Image:
    full = Image.fromarray(np.round(truth * 255).astype(np.uint8))
    small = full.resize((side, round(side * HEIGHT / WIDTH)), Image.Resampling.BOX)
    return small.filter(ImageFilter.GaussianBlur(0.7))


@pytest.fixture(scope="module")
def photo_and_truth():
    return scene()


@pytest.fixture(scope="module", params=[400, 1024], ids=["mask400", "mask1024"])
def cutouts(request, photo_and_truth):
    """The alpha of the plain (bicubic) and of the refined cutout, as float 0..1."""
    photo, truth = photo_and_truth
    mask = model_mask(truth, request.param)
    plain = apply_mask(photo.copy(), mask, None, refine=False).getchannel("A")
    refined = apply_mask(photo.copy(), mask, None).getchannel("A")
    return np.asarray(plain) / 255, np.asarray(refined) / 255


def transition(profile: np.ndarray, start: int, stop: int) -> int:
    """Pixels between 10 % and 90 % alpha in ``profile[start:stop]``."""
    part = profile[start:stop]
    return int(((part > 0.1) & (part < 0.9)).sum())


def hard_edge_width(alpha: np.ndarray) -> int:
    return transition(alpha[ROW], LEFT - 100, LEFT + 100)


def soft_edge_width(alpha: np.ndarray) -> int:
    return transition(alpha[ROW], RIGHT - 150, RIGHT + 150)


def halo_and_hole(alpha: np.ndarray) -> tuple[float, float]:
    """The most alpha outside the subject (beyond ``CLEAR`` px) and the least inside."""
    outside = max(
        alpha[:, : LEFT - CLEAR].max(),
        alpha[:, RIGHT + RAMP // 2 + CLEAR :].max(),
        alpha[: TOP - CLEAR].max(),
        alpha[BOTTOM + CLEAR :].max(),
    )
    inside = alpha[TOP + CLEAR : BOTTOM - CLEAR, LEFT + CLEAR : RIGHT - RAMP // 2 - CLEAR].min()
    return float(outside), float(inside)


def test_a_hard_edge_stays_sharp(cutouts):
    _, refined = cutouts
    assert hard_edge_width(refined) <= 3


def test_a_soft_edge_stays_soft(cutouts, photo_and_truth):
    _, refined = cutouts
    truth = soft_edge_width(photo_and_truth[1])
    assert abs(soft_edge_width(refined) - truth) <= 0.25 * truth


def test_no_halo_outside_and_no_hole_inside(cutouts):
    _, refined = cutouts
    outside, inside = halo_and_hole(refined)
    assert outside <= 0.05 and inside >= 0.9  # a corner is the least sure


def test_the_plain_upscale_fails_what_refinement_passes(photo_and_truth):
    """The checks above are not vacuous: a 400 px mask scaled up bicubically fails each."""
    photo, truth = photo_and_truth
    plain = np.asarray(apply_mask(photo, model_mask(truth, 400), None, refine=False))[..., 3]
    plain = plain / 255
    outside, inside = halo_and_hole(plain)
    assert hard_edge_width(plain) > 3
    assert abs(soft_edge_width(plain) - soft_edge_width(truth)) > 0.25 * soft_edge_width(truth)
    assert outside > 0.05 and inside < 0.9


def small_scene(photo_and_truth) -> tuple[Image.Image, np.ndarray]:
    """A 1200×800 cut around the subject's top-left corner, for the quick checks."""
    photo, truth = photo_and_truth
    box = (LEFT - 600, TOP - 200, LEFT + 600, TOP + 600)
    return photo.crop(box), truth[box[1] : box[3], box[0] : box[2]]


def test_the_result_does_not_depend_on_the_tiling(monkeypatch, photo_and_truth):
    photo, truth = small_scene(photo_and_truth)
    mask = np.asarray(model_mask(truth, 200).resize(photo.size, Image.Resampling.BICUBIC))
    whole = edges.refine_edges(photo, mask, photo.width / 200)
    monkeypatch.setattr(edges, "_TILE", 100)
    tiled = edges.refine_edges(photo, mask, photo.width / 200)
    assert np.abs(whole.astype(int) - tiled).max() <= 1  # float rounding, no seams
    assert not np.array_equal(whole, mask)  # it did refine


def test_a_full_size_mask_is_left_as_it_is(photo_and_truth):
    photo, truth = small_scene(photo_and_truth)
    mask = np.round(truth * 255).astype(np.uint8)
    assert edges.refine_edges(photo, mask, 1.0) is mask
