"""Turning cues into a clean mask: GrabCut from seeds, clean-up, soft edges."""

from __future__ import annotations

import cv2
import numpy as np

GRABCUT_MARGIN = 0.15  # of each side, kept around the subject seeds for GrabCut
MIN_PART_SHARE = 0.05  # a separate part smaller than this share of the largest is noise


def grabcut(rgb: np.ndarray, seeds: np.ndarray, iterations: int) -> np.ndarray:
    """GrabCut initialised with a ``cv2.GC_*`` seed map; returns the boolean subject."""
    mask = seeds.copy()
    has_background = ((mask == cv2.GC_BGD) | (mask == cv2.GC_PR_BGD)).any()
    has_foreground = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).any()
    if not (has_background and has_foreground) or min(mask.shape) < 16:
        return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    top, bottom, left, right = _around_subject(mask)
    window = np.ascontiguousarray(mask[top:bottom, left:right])
    bgr = np.ascontiguousarray(rgb[top:bottom, left:right, ::-1])
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means start is random; the same image, the same mask
    # The rectangle is unused with GC_INIT_WITH_MASK (OpenCV takes None; its stubs want one).
    cv2.grabCut(bgr, window, None, background, foreground, iterations, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]
    subject = np.zeros(mask.shape, bool)
    subject[top:bottom, left:right] = (window == cv2.GC_FGD) | (window == cv2.GC_PR_FGD)
    return subject


def _around_subject(seeds: np.ndarray) -> tuple[int, int, int, int]:
    """Rows and columns (top, bottom, left, right) of the subject seeds plus a margin.

    GrabCut's cost grows with the pixels it sees; far from every subject seed the
    answer is background anyway, but the margin keeps enough background to learn from.
    """
    ys, xs = np.nonzero((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD))
    height, width = seeds.shape
    margin_y = int(GRABCUT_MARGIN * height) + 4
    margin_x = int(GRABCUT_MARGIN * width) + 4
    return (
        max(0, ys.min() - margin_y),
        min(height, ys.max() + 1 + margin_y),
        max(0, xs.min() - margin_x),
        min(width, xs.max() + 1 + margin_x),
    )


def hysteresis(score: np.ndarray, low: float, high: float) -> np.ndarray:
    """Pixels above ``low`` connected to a pixel above ``high``."""
    weak = (score > low).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    strong = np.unique(labels[score > high])
    return np.isin(labels, strong[strong > 0])


def keep_parts(hard: np.ndarray, min_share: float = MIN_PART_SHARE) -> np.ndarray:
    """Drop specks: keep every connected part at least ``min_share`` of the largest."""
    binary = cv2.morphologyEx(hard.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return np.zeros(hard.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= max(4, min_share * areas.max())) + 1
    return np.isin(labels, keep)


def fill_holes(hard: np.ndarray, max_share: float) -> np.ndarray:
    """Fill enclosed background regions smaller than ``max_share`` of the image."""
    inverse = (~hard).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inverse, connectivity=4)
    height, width = hard.shape
    x, y, w, h, area = (stats[:, i] for i in range(5))
    inside = (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    small = area < max_share * height * width
    fill = np.flatnonzero(inside & small)
    return hard | np.isin(labels, fill[fill > 0])


def iou(first: np.ndarray, second: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = np.count_nonzero(first | second)
    return 1.0 if union == 0 else np.count_nonzero(first & second) / union


def outline_contrast(lab: np.ndarray, hard: np.ndarray) -> float:
    """Mean colour-gradient magnitude along the outline of ``hard`` (0 without one).

    A true subject's outline follows edges in the photo; a false part's, cut by a
    threshold through a smooth region, does not.
    """
    binary = hard.astype(np.uint8)
    outline = (binary - cv2.erode(binary, np.ones((3, 3), np.uint8))).astype(bool)
    if not outline.any():
        return 0.0
    gradient = np.sum(
        [
            np.hypot(
                cv2.Sobel(lab[..., c], cv2.CV_32F, 1, 0), cv2.Sobel(lab[..., c], cv2.CV_32F, 0, 1)
            )
            for c in range(3)
        ],
        axis=0,
    )
    return float(gradient[outline].mean())


def guided_filter(
    rgb: np.ndarray, target: np.ndarray, radius: int, eps: float = 1e-3
) -> np.ndarray:
    """He et al.'s guided filter with a grey guide: edges follow the photo's edges."""
    guide = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    size = (2 * radius + 1, 2 * radius + 1)

    def box(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, size, borderType=cv2.BORDER_REFLECT)

    mean_guide, mean_target = box(guide), box(target)
    covariance = box(guide * target) - mean_guide * mean_target
    variance = box(guide * guide) - mean_guide * mean_guide
    a = covariance / (variance + eps)
    b = mean_target - a * mean_guide
    return box(a) * guide + box(b)
