"""A plain or gradient backdrop, modelled as a smooth colour surface fitted to the border.

Studio backdrops, walls and skies change colour slowly across the frame. A low-order
polynomial in x and y, fitted per Lab channel to the border pixels with outliers (the
subject touching an edge) rejected, predicts the backdrop behind the subject too; a pixel
far from that prediction is subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BORDER_DEGREE = 2  # of the colour surface fitted to the border alone
REFIT_DEGREE = 4  # of the surface refitted to every backdrop pixel found
MAX_SAMPLES = 6000  # border pixels used for the fit
ROUNDS = 3  # robust refits, each dropping the outliers of the last
SAMPLES_PER_TERM = 10  # the fewest border pixels a polynomial term needs
SURFACE_GRID = 128  # longer side of the grid the smooth surface is evaluated on


@dataclass(frozen=True)
class Backdrop:
    """A fitted backdrop.

    Attributes
    ----------
    residual
        Each pixel's Lab distance from the fitted surface (float32, the image's shape).
    noise
        Robust spread of that distance over the border's inliers (Lab units).
    inlier_share
        Share of border pixels the surface explains; low when the border is busy.
    """

    residual: np.ndarray
    noise: float
    inlier_share: float


def border_mask(shape: tuple[int, int], fraction: float) -> np.ndarray:
    """Boolean mask of a band ``fraction`` of the shorter side wide along all four edges."""
    height, width = shape
    band = max(1, round(min(height, width) * fraction))
    border = np.zeros((height, width), bool)
    border[:band, :] = border[-band:, :] = True
    border[:, :band] = border[:, -band:] = True
    return border


def _design(xs: np.ndarray, ys: np.ndarray, degree: int) -> np.ndarray:
    """Monomials x^i y^j, i + j <= ``degree``, of coordinates scaled to -1..1."""
    columns = [xs**i * ys**j for i in range(degree + 1) for j in range(degree + 1 - i)]
    return np.stack(columns, axis=-1)


def _coordinates(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs / max(1, width - 1) * 2 - 1, ys / max(1, height - 1) * 2 - 1


def _surface(coefficients: np.ndarray, shape: tuple[int, int], degree: int) -> np.ndarray:
    """The fitted surface at ``shape``: evaluated on a coarse grid, then interpolated."""
    height, width = shape
    scale = min(1.0, SURFACE_GRID / max(height, width))
    coarse = (max(2, round(height * scale)), max(2, round(width * scale)))
    xs, ys = _coordinates(coarse)
    values = (_design(xs, ys, degree) @ coefficients.astype(np.float32)).astype(np.float32)
    return cv2.resize(values, (width, height), interpolation=cv2.INTER_LINEAR)


def fit_backdrop(lab: np.ndarray, samples: np.ndarray, degree: int = BORDER_DEGREE) -> Backdrop:
    """Fit the colour surface to the ``samples`` pixels of ``lab``, robustly.

    Parameters
    ----------
    lab
        The image in Lab, float32, shape (height, width, 3).
    samples
        Boolean mask of the pixels taken to be mostly backdrop (the border, at first).
    degree
        Degree of the polynomial surface in x and y.
    """
    height, width = lab.shape[:2]
    index = np.flatnonzero(samples.ravel())
    if len(index) == 0:
        index = np.arange(samples.size)
    step = max(1, len(index) // MAX_SAMPLES)
    index = index[::step]
    terms = (degree + 1) * (degree + 2) // 2
    if len(index) < SAMPLES_PER_TERM * terms:
        degree = 0  # too few pixels (a tiny image) for more than a flat colour
    xs = (index % width) / max(1, width - 1) * 2 - 1
    ys = (index // width) / max(1, height - 1) * 2 - 1
    design = _design(xs, ys, degree).astype(np.float64)
    colours = lab.reshape(-1, 3)[index].astype(np.float64)
    inliers = np.ones(len(index), bool)
    for _ in range(ROUNDS):
        # OpenCV's least squares: NumPy's can stall starting its BLAS threads.
        if np.count_nonzero(inliers) < design.shape[1]:
            inliers[:] = True
        _, coefficients = cv2.solve(design[inliers], colours[inliers], flags=cv2.DECOMP_SVD)
        distance = np.linalg.norm(colours - design @ coefficients, axis=1)
        spread = 1.4826 * float(np.median(distance[inliers])) + 1e-3
        inliers = distance <= max(3.0 * spread, 2.0)
    offset = lab - _surface(coefficients, (height, width), degree)
    residual = np.sqrt(np.einsum("ijk,ijk->ij", offset, offset))
    noise = 1.4826 * float(np.median(distance[inliers])) if inliers.any() else float("inf")
    return Backdrop(residual.astype(np.float32), noise, float(inliers.mean()))
