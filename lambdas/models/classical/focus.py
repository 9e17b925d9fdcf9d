"""Where the photo is in focus: the re-blur ratio of its edges.

Blurring a sharp edge a little lowers its gradient a lot; blurring an edge that is
already out of focus changes it little (Zhuo and Sim, "Defocus map estimation from a
single image", 2011). The ratio of the two gradients, at edges only, tells a subject in
focus from a defocused background. A region without edges gives no evidence either way:
it gets ``NO_EVIDENCE``, so the cue separates only where the photo has a depth of field
and is neutral on a photo sharp everywhere. It is trusted only as far as the border is
out of focus (``cue_strength``); fine detail (``region_detail``) stands in where not.
"""

from __future__ import annotations

import cv2
import numpy as np

REBLUR_SIGMA = 1.5  # pixels: the extra blur the ratio is measured against
SHARP_RATIO = 2.2  # gradient ratio of an edge in focus (focus 1)
BLUR_RATIO = 1.3  # gradient ratio of an edge out of focus (focus 0)
EDGE_MIN = 24.0  # Sobel units (8 x grey levels a pixel): the least re-blurred
# gradient that counts as an edge; gentler shading is no evidence of focus or defocus
NO_EVIDENCE = 0.4  # focus of a region without edges
EVIDENCE_DENSITY = 4.0  # mean edge weight a pixel at which a region's focus is all evidence
DEFOCUSED_BORDER = 0.30  # border focus up to which the background counts as out of focus
FOCUSED_BORDER = 0.45  # border focus from which the background is in focus: no focus cue
DETAIL_FLOOR = 0.2  # the least weight fine detail leaves a region's foreground cue


def _gradient(grey: np.ndarray) -> np.ndarray:
    return cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))


def focus_evidence(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel focus evidence of an RGB photo at its own resolution.

    Returns
    -------
    tuple of np.ndarray
        ``(weighted, weight)``, float32: each edge pixel's focus 0..1 times its weight
        (its re-blurred gradient), and that weight (0 off the edges). Both can be
        averaged over areas (resized with ``INTER_AREA``) before dividing.
    """
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sharp = _gradient(grey)
    blurred = _gradient(cv2.GaussianBlur(grey, (0, 0), REBLUR_SIGMA))
    ratio = sharp / (blurred + 1e-3)
    focus = np.clip((ratio - BLUR_RATIO) / (SHARP_RATIO - BLUR_RATIO), 0.0, 1.0)
    weight = np.where(blurred > EDGE_MIN, blurred, 0.0).astype(np.float32)
    return focus * weight, weight


def region_focus(
    weighted: np.ndarray, weight: np.ndarray, labels: np.ndarray, count: int
) -> np.ndarray:
    """Each region's focus 0..1: its edges' mean focus, towards ``NO_EVIDENCE`` with few edges."""
    flat = labels.ravel()
    total = np.bincount(flat, weighted.ravel(), minlength=count)
    mass = np.bincount(flat, weight.ravel(), minlength=count)
    sizes = np.maximum(np.bincount(flat, minlength=count), 1)
    known = np.clip(mass / sizes / EVIDENCE_DENSITY, 0.0, 1.0)
    focus = total / np.maximum(mass, 1e-6)
    return known * focus + (1.0 - known) * NO_EVIDENCE


def cue_strength(weighted: np.ndarray, weight: np.ndarray, border: np.ndarray) -> float:
    """How far focus can be trusted to tell the subject, 0..1, from the border's focus.

    Focus separates a subject only from a background out of focus. Where the border's
    edges are as sharp as a subject's (a table top in focus in front of a cup, whose
    near rim is the part out of focus) the cue would throw subject away: 0 there.
    """
    mass = float(weight[border].sum())
    focus = float(weighted[border].sum()) / mass if mass > 0 else NO_EVIDENCE
    return float(np.clip((FOCUSED_BORDER - focus) / (FOCUSED_BORDER - DEFOCUSED_BORDER), 0, 1))


def region_detail(lightness: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Each region's fine detail (mean Laplacian magnitude), scaled to ``DETAIL_FLOOR``..1.

    The fallback where focus cannot be trusted: a subject usually has more fine detail
    than its surroundings, whether or not anything is out of focus.
    """
    sharp = np.abs(cv2.Laplacian(lightness, cv2.CV_32F, ksize=3))
    sizes = np.maximum(np.bincount(labels.ravel(), minlength=count), 1)
    detail = np.bincount(labels.ravel(), sharp.ravel(), minlength=count) / sizes
    detail = np.clip(detail / max(1e-6, float(np.percentile(detail, 95))), 0.0, 1.0)
    return DETAIL_FLOOR + (1.0 - DETAIL_FLOOR) * detail
