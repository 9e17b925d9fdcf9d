"""Border-prior saliency: robust background detection by boundary connectivity.

Zhu, Liang, Wei and Sun, "Saliency Optimization from Robust Background Detection"
(CVPR 2014). A background region is one well connected to the image border: its
geodesic "area" (regions reachable across similar colours) touches the border a lot.
This holds for textures and clutter, where a border colour model alone fails, and it
keeps a subject however many parts it has and wherever it sits in the frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from lambdas.models.classical.superpixels import Superpixels, adjacency

SIGMA_COLOUR = 10.0  # Lab units: geodesic distance at which regions stop being alike
SIGMA_SPACE = 0.25  # of the longer side: reach of the contrast term
SIGMA_CONNECTIVITY = 1.0
FOCUS_WEIGHT = 1.0  # share of the foreground cue that depends on focus
SMOOTHNESS = 1.0  # weight of neighbour agreement in the final optimisation
SHARP_BORDER = (0.4, 0.8)  # focus or detail from which a border region starts to count,
# and fully counts, as sharp: not merged with the rest of the border


def _geodesic(weights: np.ndarray) -> np.ndarray:
    """All-pairs shortest paths (Floyd-Warshall) over a dense weight matrix."""
    distance = weights.astype(np.float32)
    for k in range(len(distance)):
        np.minimum(distance, distance[:, k, None] + distance[None, k, :], out=distance)
    return distance


def boundary_connectivity(
    regions: Superpixels, border: np.ndarray, detail: np.ndarray | None = None
) -> np.ndarray:
    """Each region's boundary connectivity; ``border`` marks regions on the image edge.

    ``detail`` (per region, 0..1) tells which border regions are sharp: see
    ``_border_links``.
    """
    linked = adjacency(regions.labels, regions.count)
    difference = np.linalg.norm(regions.colours[:, None] - regions.colours[None], axis=2)
    weights = np.where(linked, difference, np.inf)
    weights[np.ix_(border, border)] = _border_links(
        difference[np.ix_(border, border)], border, detail
    )
    np.fill_diagonal(weights, 0.0)
    geodesic = _geodesic(weights)
    similarity = np.exp(-(geodesic**2) / (2 * SIGMA_COLOUR**2))
    area = similarity.sum(axis=1)
    length = similarity[:, border].sum(axis=1)
    return length / np.sqrt(area)


def _border_links(
    difference: np.ndarray, border: np.ndarray, detail: np.ndarray | None
) -> np.ndarray:
    """The cost of crossing between two border regions, whether adjacent or not.

    Nothing between two soft ones: the border acts as one region, however its colour
    varies. A sharp one (a subject in focus touching the frame) is not merged so: its
    links cost their colour difference, so it is background only if its colour is.
    """
    if detail is None:
        return np.zeros_like(difference)
    span = SHARP_BORDER[1] - SHARP_BORDER[0]
    sharp = np.clip((detail[border] - SHARP_BORDER[0]) / span, 0.0, 1.0)
    return difference * np.maximum.outer(sharp, sharp)


def region_saliency(
    regions: Superpixels, border: np.ndarray, detail: np.ndarray | None = None
) -> np.ndarray:
    """Saliency 0..1 of each region, optimised for background and foreground cues.

    Parameters
    ----------
    regions
        The superpixels.
    border
        Boolean per region: it touches the image edge.
    detail
        Optional per-region focus or fine detail 0..1 (``classical.focus``): the subject
        is usually in focus, so a region's foreground cue is scaled by it. Only the cue:
        a defocused part of the subject can still be won back by colour in GrabCut. A
        sharp region on the border is not merged with the rest of the border.
    """
    connectivity = boundary_connectivity(regions, border, detail)
    background = 1.0 - np.exp(-(connectivity**2) / (2 * SIGMA_CONNECTIVITY**2))
    difference = np.linalg.norm(regions.colours[:, None] - regions.colours[None], axis=2)
    space = np.linalg.norm(regions.centres[:, None] - regions.centres[None], axis=2)
    spatial = np.exp(-(space**2) / (2 * SIGMA_SPACE**2))
    contrast = (difference * spatial * background[None, :]).sum(axis=1)
    foreground = contrast / max(1e-6, float(contrast.max()))
    if detail is not None:
        foreground = foreground * (1.0 - FOCUS_WEIGHT + FOCUS_WEIGHT * detail)
    return _optimise(regions, background, foreground)


def _optimise(regions: Superpixels, background: np.ndarray, foreground: np.ndarray) -> np.ndarray:
    """Least squares: background regions near 0, foreground near 1, neighbours alike."""
    linked = adjacency(regions.labels, regions.count)
    difference = np.linalg.norm(regions.colours[:, None] - regions.colours[None], axis=2)
    smooth = np.where(linked, np.exp(-(difference**2) / (2 * SIGMA_COLOUR**2)), 0.0)
    smooth = SMOOTHNESS * (smooth + 0.1 * linked)
    laplacian = np.diag(smooth.sum(axis=1)) - smooth
    system = np.diag(background + foreground) + 2 * laplacian
    # OpenCV's Cholesky: the system is symmetric positive definite, and NumPy's solver
    # can stall for a while starting its BLAS threads.
    _, solution = cv2.solve(
        system, foreground[:, None].astype(np.float64), flags=cv2.DECOMP_CHOLESKY
    )
    return np.clip(solution[:, 0], 0.0, 1.0)
