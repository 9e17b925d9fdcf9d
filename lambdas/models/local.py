"""The offline ``local`` model: OpenCV, no weights, no account.

1. Learn the background's colours from the image border (k-means in Lab).
2. Seed GrabCut: pixels far from every background colour are probably subject,
   the rest probably background; border pixels that match the background are sure.
3. Keep the significant connected parts, fill their holes.
4. Soften the edge with a guided filter that follows the photo's own edges.

It does well on product shots and subjects on plain or soft backgrounds. Clutter,
or a subject coloured like its background, defeats it (in samples/photos the
astronaut loses her head and the rocket keeps some sky): use a Bedrock model or
``--model onnx`` with a matting network there.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from lambdas.errors import EmptyMaskError
from lambdas.models.base import ModelLimits

_VERSION = 1


class LocalModel:
    """Background removal with classical computer vision (see the module docstring)."""

    name = "local"

    def __init__(
        self,
        *,
        working_side: int = 400,
        iterations: int = 4,
        border_fraction: float = 0.04,
        background_clusters: int = 4,
    ) -> None:
        self.working_side = working_side
        self.iterations = iterations
        self.border_fraction = border_fraction
        self.background_clusters = background_clusters
        self.limits = ModelLimits(max_side=1024, min_side=1, input_format="PNG")

    def cache_params(self) -> dict:
        return {
            "version": _VERSION,
            "working_side": self.working_side,
            "iterations": self.iterations,
            "border_fraction": self.border_fraction,
            "background_clusters": self.background_clusters,
        }

    def remove_background(self, image: Image.Image) -> Image.Image:
        """Return a soft ``"L"`` mask the size of ``image`` (255 = subject).

        Raises
        ------
        EmptyMaskError
            If the image is plain background with nothing on it.
        """
        rgb = np.asarray(image.convert("RGB"))
        height, width = rgb.shape[:2]
        scale = min(1.0, self.working_side / max(height, width))
        small = rgb
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)

        seeds, distance = self._seed(small)
        if not ((seeds == cv2.GC_PR_FGD) | (seeds == cv2.GC_FGD)).any():
            raise EmptyMaskError("no subject found: the image looks like plain background")
        if min(small.shape[:2]) >= 16:
            hard = self._grabcut(small, seeds)
        else:
            hard = (seeds == cv2.GC_PR_FGD) | (seeds == cv2.GC_FGD)
        hard = _clean(hard)
        if not hard.any():
            raise EmptyMaskError("no subject found: nothing stood out from the background")
        soft = _guided_filter(
            small, hard.astype(np.float32), radius=max(2, min(small.shape[:2]) // 80)
        )
        mask = np.clip(soft * 255.0, 0, 255).astype(np.uint8)
        if mask.shape[:2] != (height, width):
            mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
        return Image.fromarray(mask, mode="L")

    def _seed(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """GrabCut seeds from a subject score: colour, focus and position cues combined.

        * colour: distance to the background's colours, learnt from the top and side
          borders (subjects often touch the bottom edge, rarely the top);
        * focus: photographers focus on the subject, so local sharpness marks it;
        * position: subjects sit near the centre.
        """
        height, width = rgb.shape[:2]
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
        band = max(1, round(min(height, width) * self.border_fraction))
        border = np.zeros((height, width), bool)
        border[:band, :] = True
        border[: int(height * 0.7), :band] = True
        border[: int(height * 0.7), -band:] = True

        samples = lab[border].reshape(-1, 3)
        clusters = max(1, min(self.background_clusters, len(samples)))
        cv2.setRNGSeed(0)  # k-means++ seeding is random; the same image must give the same mask
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
        _, labels, centres = cv2.kmeans(samples, clusters, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
        # A cluster holding few border pixels is probably the subject touching the edge.
        counts = np.bincount(labels.ravel(), minlength=clusters)
        centres = centres[counts >= max(1, 0.1 * len(samples))]
        distance = np.min(
            np.linalg.norm(lab[:, :, None, :] - centres[None, None, :, :], axis=3), axis=2
        )
        colour = _normalise(distance, floor=12.0)

        grey = lab[:, :, 0]
        sharp = np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=3))
        sharp = cv2.GaussianBlur(sharp, (0, 0), max(1.0, min(height, width) / 40))
        focus = _normalise(sharp, floor=1.0)

        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        position = np.exp(
            -(
                ((xs - width / 2) / (width * 0.45)) ** 2
                + ((ys - height * 0.55) / (height * 0.5)) ** 2
            )
        )
        score = (0.5 * colour + 0.25 * focus + 0.25 * position).astype(np.float32)

        if float(distance.max()) < 12.0 and float(sharp.max()) < 2.0:
            return np.full((height, width), cv2.GC_BGD, np.uint8), score
        low, high = np.percentile(score, [45, 75])
        seeds = np.full((height, width), cv2.GC_PR_BGD, np.uint8)
        seeds[score > (low + high) / 2] = cv2.GC_PR_FGD
        seeds[score >= high + 0.5 * (score.max() - high)] = cv2.GC_FGD
        seeds[border & (score < low)] = cv2.GC_BGD
        return seeds, score

    def _grabcut(self, rgb: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        mask = seeds.copy()
        if not ((mask == cv2.GC_BGD) | (mask == cv2.GC_PR_BGD)).any():
            return np.ones(mask.shape, bool)
        background = np.zeros((1, 65), np.float64)
        foreground = np.zeros((1, 65), np.float64)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        cv2.grabCut(bgr, mask, None, background, foreground, self.iterations, cv2.GC_INIT_WITH_MASK)
        return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


def _normalise(values: np.ndarray, *, floor: float) -> np.ndarray:
    """Scale to 0..1 by a high percentile, so one outlier does not flatten the rest."""
    top = max(floor, float(np.percentile(values, 98)))
    return np.clip(values / top, 0.0, 1.0)


def _clean(hard: np.ndarray) -> np.ndarray:
    """Keep the large connected parts and fill the holes inside them."""
    binary = hard.astype(np.uint8)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return np.zeros(hard.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= max(4, 0.1 * areas.max())) + 1
    kept = np.isin(labels, keep).astype(np.uint8)
    # Holes: background regions that do not reach the image edge.
    inverse = 1 - kept
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inverse, connectivity=4)
    height, width = kept.shape
    for index in range(1, count):
        x, y, w, h = stats[index, :4]
        touches_edge = x == 0 or y == 0 or x + w == width or y + h == height
        if not touches_edge and stats[index, cv2.CC_STAT_AREA] < 0.05 * height * width:
            kept[labels == index] = 1
    return kept.astype(bool)


def _guided_filter(
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
