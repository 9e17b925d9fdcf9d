"""The classical pieces of the local model, each on its own."""

import cv2
import numpy as np
import pytest

from lambdas.models.classical.backdrop import border_mask, fit_backdrop
from lambdas.models.classical.refine import (
    fill_holes,
    hysteresis,
    iou,
    keep_parts,
    outline_contrast,
)
from lambdas.models.classical.saliency import region_saliency
from lambdas.models.classical.superpixels import adjacency, slic


def lab_of(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def test_border_mask_is_a_band_on_all_four_edges():
    border = border_mask((100, 200), 0.05)
    assert border[0].all() and border[-1].all() and border[:, 0].all() and border[:, -1].all()
    assert not border[5:-5, 5:-5].any() and border[4, 100] and not border[5, 100]


def test_backdrop_fit_follows_a_gradient_and_finds_the_subject():
    ys, xs = np.mgrid[0:120, 0:160].astype(np.float32)
    rgb = np.stack([60 + xs, 80 + 0.5 * ys, 200 - 0.4 * xs], axis=2)
    rgb[40:80, 60:100] = (220, 30, 30)
    rgb[0:10, 70:90] = (220, 30, 30)  # the subject may touch the border: an outlier
    lab = lab_of(rgb)
    backdrop = fit_backdrop(lab, border_mask(lab.shape[:2], 0.05))
    assert backdrop.noise < 1.0 and 0.8 < backdrop.inlier_share < 1.0
    assert np.percentile(backdrop.residual[90:, :], 99) < 3.0  # the ramp is explained
    assert backdrop.residual[60, 80] > 30.0  # the subject is not


@pytest.mark.parametrize("size", [(1, 1), (3, 2)])
def test_backdrop_fit_of_a_tiny_image(size):
    lab = lab_of(np.full((*size, 3), 128, np.float32))
    assert fit_backdrop(lab, np.ones(size, bool)).residual.shape == size


def test_superpixels_cover_the_image_and_follow_colour_edges():
    rgb = np.zeros((90, 120, 3), np.float32)
    rgb[:, 60:] = (255, 255, 255)
    regions = slic(lab_of(rgb), 48)
    assert regions.labels.shape == (90, 120)
    assert 20 <= regions.count <= 60 and regions.sizes.sum() == 90 * 120
    assert set(np.unique(regions.labels)) == set(range(regions.count))
    # No region straddles the black/white edge.
    for label in range(regions.count):
        columns = np.nonzero(regions.labels == label)[1]
        assert columns.max() < 60 or columns.min() >= 60


def test_adjacency_is_symmetric_and_local():
    labels = np.array([[0, 0, 1], [2, 2, 1]])
    linked = adjacency(labels, 3)
    assert linked[0, 1] and linked[1, 0] and linked[0, 2] and linked[1, 2]
    assert not linked.diagonal().any()


def test_a_distinct_centre_is_salient_and_the_border_is_not():
    rng = np.random.default_rng(0)
    rgb = np.empty((90, 120, 3), np.float32)
    rgb[:] = (70, 120, 70)
    rgb += rng.normal(0, 6, rgb.shape)
    rgb[30:60, 45:75] = (200, 60, 160)
    regions = slic(lab_of(np.clip(rgb, 0, 255)), 100)
    on_border = np.zeros(regions.count, bool)
    on_border[np.unique(regions.labels[border_mask((90, 120), 0.05)])] = True
    saliency = region_saliency(regions, on_border)[regions.labels]
    assert saliency[45, 60] > 0.6 and saliency[5, 5] < 0.2
    assert saliency[45, 60] > 3 * np.median(saliency)


def test_hysteresis_keeps_weak_pixels_only_beside_strong_ones():
    score = np.zeros((10, 30))
    score[2:8, 2:8] = 5.0
    score[4, 4] = 20.0
    score[2:8, 20:26] = 5.0  # weak, no strong pixel: dropped
    hard = hysteresis(score, 3.0, 10.0)
    assert hard[2:8, 2:8].all() and not hard[:, 15:].any()


def test_keep_parts_keeps_several_subjects_and_drops_specks():
    hard = np.zeros((60, 100), bool)
    hard[10:40, 10:40] = True
    hard[10:35, 60:85] = True  # a second subject, a bit smaller
    hard[50:52, 50:52] = True  # a speck
    kept = keep_parts(hard)
    assert kept[20, 20] and kept[20, 70] and not kept[50:52, 50:52].any()


def test_fill_holes_fills_only_enclosed_small_holes():
    hard = np.zeros((60, 60), bool)
    hard[10:50, 10:50] = True
    hard[28:32, 28:32] = False  # a 16-pixel enclosed hole
    hard[0:50, 20:22] = False  # a slit reaching the image edge: not a hole
    filled = fill_holes(hard, 0.01)
    assert filled[30, 30] and not filled[5, 20:22].any() and not filled[30, 20:22].any()
    assert not fill_holes(hard, 0.001)[30, 30]  # 16 pixels are more than 0.1 % of 3600


def test_outline_contrast_is_higher_for_an_outline_on_an_edge():
    rgb = np.zeros((60, 60, 3), np.float32)
    rgb[20:40, 20:40] = 255
    lab = lab_of(rgb)
    on_edge = np.zeros((60, 60), bool)
    on_edge[20:40, 20:40] = True
    off_edge = np.zeros((60, 60), bool)
    off_edge[5:15, 45:55] = True
    assert outline_contrast(lab, on_edge) > 10 * outline_contrast(lab, off_edge)
    assert outline_contrast(lab, np.zeros((60, 60), bool)) == 0.0


def test_iou():
    first = np.zeros((4, 4), bool)
    first[:2] = True
    second = np.zeros((4, 4), bool)
    second[1:3] = True
    assert iou(first, second) == pytest.approx(4 / 12)
    assert iou(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 1.0


def test_a_sharp_subject_touching_the_frame_is_not_merged_with_the_border():
    rng = np.random.default_rng(0)
    rgb = np.empty((90, 120, 3), np.float32)
    rgb[:] = (70, 120, 70)
    rgb += rng.normal(0, 6, rgb.shape)
    rgb[35:, 40:80] = (200, 60, 160)  # standing on the bottom edge
    regions = slic(lab_of(np.clip(rgb, 0, 255)), 100)
    on_border = np.zeros(regions.count, bool)
    on_border[np.unique(regions.labels[border_mask((90, 120), 0.05)])] = True
    subject = np.bincount(regions.labels.ravel(), (rgb[..., 0] > 150).ravel()) > 0
    soft = np.full(regions.count, 0.3)
    sharp = np.where(subject, 1.0, 0.3)
    merged = region_saliency(regions, on_border, soft)[regions.labels]
    kept = region_saliency(regions, on_border, sharp)[regions.labels]
    assert merged[60, 60] < 0.5 < kept[60, 60] and kept[5, 5] < 0.2
