"""SLIC-like superpixels in NumPy (OpenCV's contrib ``ximgproc`` is not installed).

Achanta et al.'s simple linear iterative clustering, simplified: centres start on a
grid, each pixel chooses among the centres of the 3 x 3 grid cells around it by a
distance mixing Lab colour and position, and centres move to their pixels' means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ITERATIONS = 3
COMPACTNESS = 10.0  # weight of position against colour (Lab units per grid step)


@dataclass(frozen=True)
class Superpixels:
    """A labelling and each region's statistics.

    Attributes
    ----------
    labels
        int32 region index of each pixel, 0..count-1.
    colours
        (count, 3) mean Lab colour of each region.
    centres
        (count, 2) mean (x, y) of each region, scaled to 0..1 by the longer side.
    sizes
        (count,) pixels in each region.
    """

    labels: np.ndarray
    colours: np.ndarray
    centres: np.ndarray
    sizes: np.ndarray

    @property
    def count(self) -> int:
        return len(self.sizes)


def _region_stats(labels: np.ndarray, lab: np.ndarray, count: int) -> tuple[np.ndarray, ...]:
    height, width = labels.shape
    ys, xs = np.mgrid[0:height, 0:width]
    flat = labels.ravel()
    sizes = np.bincount(flat, minlength=count).astype(np.float64)
    safe = np.maximum(sizes, 1)
    colours = np.stack(
        [np.bincount(flat, lab[..., c].ravel(), minlength=count) / safe for c in range(3)], 1
    )
    centres = np.stack([np.bincount(flat, v.ravel(), minlength=count) / safe for v in (xs, ys)], 1)
    return colours, centres, sizes


def slic(lab: np.ndarray, regions: int) -> Superpixels:
    """About ``regions`` superpixels of a float32 Lab image; empty regions are dropped."""
    height, width = lab.shape[:2]
    step = max(2, int(np.sqrt(height * width / max(1, regions))))
    rows, cols = max(1, height // step), max(1, width // step)
    ys, xs = np.mgrid[0:height, 0:width]
    cell_y = np.minimum(ys * rows // height, rows - 1)
    cell_x = np.minimum(xs * cols // width, cols - 1)
    labels = (cell_y * cols + cell_x).astype(np.int32)
    count = rows * cols
    colours, centres, _ = _region_stats(labels, lab, count)
    spatial = (COMPACTNESS / step) ** 2
    for _ in range(ITERATIONS):
        best = np.full((height, width), np.inf, np.float32)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                candidate = np.clip(cell_y + dy, 0, rows - 1) * cols + np.clip(
                    cell_x + dx, 0, cols - 1
                )
                colour = ((lab - colours[candidate].astype(np.float32)) ** 2).sum(axis=2)
                centre = centres[candidate].astype(np.float32)
                place = (xs - centre[..., 0]) ** 2 + (ys - centre[..., 1]) ** 2
                distance = colour + spatial * place
                closer = distance < best
                best[closer] = distance[closer]
                labels[closer] = candidate[closer]
        colours, centres, sizes = _region_stats(labels, lab, count)
    return _compact(labels, lab, max(height, width))


def _compact(labels: np.ndarray, lab: np.ndarray, scale: int) -> Superpixels:
    """Renumber the used labels 0..n-1 and compute their statistics."""
    used, labels = np.unique(labels, return_inverse=True)
    labels = labels.reshape(lab.shape[:2]).astype(np.int32)
    colours, centres, sizes = _region_stats(labels, lab, len(used))
    return Superpixels(labels, colours, centres / scale, sizes)


def adjacency(labels: np.ndarray, count: int) -> np.ndarray:
    """Boolean (count, count) matrix: regions sharing a horizontal or vertical edge."""
    linked = np.zeros((count, count), bool)
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])):
        differ = a != b
        linked[a[differ], b[differ]] = True
    return linked | linked.T
