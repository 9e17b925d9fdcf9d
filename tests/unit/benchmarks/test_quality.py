"""The quality benchmark's metrics and scene making (no stamps package needed)."""

import numpy as np
import pytest

from benchmarks.quality import boundary_f, iou, kept_objects, table
from benchmarks.quality_scenes import (
    CATEGORIES,
    background,
    composite,
    is_photographic,
)


def square(top, left, side, shape=(60, 60)):
    mask = np.zeros(shape, bool)
    mask[top : top + side, left : left + side] = True
    return mask


def test_iou_and_boundary_f():
    truth = square(10, 10, 30)
    assert iou(truth, truth) == 1.0 and boundary_f(truth, truth) == 1.0
    shifted = square(12, 10, 30)  # 2 px off: inside a 3 px tolerance
    assert boundary_f(shifted, truth) > 0.95 and iou(shifted, truth) < 0.95
    far = square(25, 25, 30)
    assert boundary_f(far, truth) < 0.5
    assert boundary_f(np.zeros_like(truth), truth) == 0.0


def test_kept_objects_counts_each_covered_part():
    truth = square(5, 5, 10) | square(30, 30, 10) | square(5, 40, 10)
    predicted = square(5, 5, 10) | square(30, 30, 6)  # 36 % of the second part
    assert kept_objects(predicted, truth) == (1, 3)
    assert kept_objects(truth, truth) == (3, 3)


def rgba_stamp(colours: int, size=96, seed=0):
    rng = np.random.default_rng(seed)
    stamp = np.zeros((size, size, 4), np.uint8)
    palette = rng.integers(0, 256, (colours, 3))
    stamp[..., :3] = palette[rng.integers(0, colours, (size, size))]
    stamp[8:-8, 8:-8, 3] = 255  # 6,400 opaque pixels
    return stamp


def test_photographic_stamps_are_told_from_clip_art():
    assert is_photographic(rgba_stamp(4000))
    assert not is_photographic(rgba_stamp(12))  # few flat colours: clip art
    opaque = rgba_stamp(4000)
    opaque[..., 3] = 255  # no real alpha
    assert not is_photographic(opaque)


@pytest.mark.parametrize("category", CATEGORIES[:3])
def test_backgrounds_and_composite_are_reproducible(category):
    first = background(category, np.random.default_rng(1), (48, 64), 0)
    second = background(category, np.random.default_rng(1), (48, 64), 0)
    assert first.shape == (48, 64, 3) and np.array_equal(first, second)
    photo, truth = composite(rgba_stamp(4000), first, np.random.default_rng(2))
    assert photo.dtype == np.uint8 and photo.shape == (48, 64, 3)
    assert 0.05 < truth.mean() < 0.9


def test_table_has_a_row_per_category_and_the_mean():
    from benchmarks.quality import Result
    from benchmarks.quality_scenes import Scene

    truth = square(10, 10, 30)
    results = [
        Result(Scene(c, c, np.zeros((60, 60, 3), np.uint8), truth), truth, 1.0, 1.0, 0.5, 0.7)
        for c in CATEGORIES
    ]
    text = table(results)
    assert all(f"\n{c} " in text for c in CATEGORIES) and "\nmean " in text
    assert "1.000" in text.splitlines()[-1]
