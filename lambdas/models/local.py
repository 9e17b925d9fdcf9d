"""The offline ``local`` model: OpenCV and NumPy, no weights, no account.

1. A border-prior saliency map over superpixels (``classical.saliency``: regions
   well connected to the image border are background) seeds GrabCut. Its foreground
   cue is scaled by focus (``classical.focus``: the re-blur ratio of each region's
   edges, measured at full resolution), so a defocused background scores low, but
   only as far as the border itself is out of focus: where it is sharp (a table top
   in focus, a cup's near rim not) fine detail scales the cue instead. A sharp
   region on the border is not merged with the rest of the border, so a subject in
   focus may touch the frame. A salient region out of focus (where focus is trusted)
   is only probable foreground in GrabCut's seeds, never sure. This handles textured
   and busy backgrounds.
2. When the border looks like a backdrop (its colours spread little around a smooth
   surface), the backdrop model runs too, at up to 1024 px: a low-order colour surface
   is fitted to the border, refitted to all the backdrop found, and the subject is
   every pixel far from it (``classical.backdrop``). It wins when it agrees with the
   saliency, or when its outline follows the photo's edges nearly as strongly.
3. Keep every significant separate part (several subjects stay), fill small holes.
4. Soften the edge with a guided filter that follows the photo's own edges.

No position prior: a subject may sit anywhere. Focus only weighs the saliency's
foreground cue: a region without edges is neutral, and no part is removed for being
out of focus (GrabCut can win it back by colour). It does well on product
shots, plain, gradient and soft or textured backgrounds. A busy background with salient
things of its own, a subject touching the frame on a busy background, or a close-up
that fills the frame defeat it: use a Bedrock model or ``--model onnx`` there.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from lambdas.errors import EmptyMaskError
from lambdas.models.base import ModelLimits
from lambdas.models.classical.backdrop import (
    REFIT_DEGREE,
    Backdrop,
    border_mask,
    fit_backdrop,
)
from lambdas.models.classical.focus import (
    cue_strength,
    focus_evidence,
    region_detail,
    region_focus,
)
from lambdas.models.classical.refine import (
    fill_holes,
    grabcut,
    guided_filter,
    hysteresis,
    iou,
    keep_parts,
    outline_contrast,
)
from lambdas.models.classical.saliency import region_saliency
from lambdas.models.classical.superpixels import slic

_VERSION = 5
BUSY_NOISE = 12.0  # Lab units: a border spread above this is no backdrop at all
BORDER_CLAIM = 0.15  # share of the border band a subject on a backdrop may cover
AGREEMENT = 0.8  # IoU at which the backdrop and saliency masks agree
CONTAINED = 0.9  # share of a mask inside the other for it to count as held by it
OUTLINE_MARGIN = 1.2  # how much stronger the saliency mask's outline must be to win
MIN_CONTRAST = 6.0  # Lab units: the least residual that can mark a subject
NOISE_FACTOR = 3.0  # times the backdrop's noise: the residual that can mark a subject
SALIENCY_SIDE = 200  # longer side of the copy the saliency map is computed on
BACKDROP_SIDE = 1024  # longer side a plain or gradient backdrop is separated at
REFITS = 2  # refits of the backdrop surface to the backdrop found so far
HOLE_SHARE = 0.05  # on a busy background, enclosed holes smaller than this are filled
TINY_HOLE_SHARE = 0.0005  # on a plain one, holes are mostly real: fill only specks
DEFOCUS_DOUBT = 0.5  # trusted defocus above which a region is never sure foreground


class LocalModel:
    """Background removal with classical computer vision (see the module docstring)."""

    name = "local"

    def __init__(
        self,
        *,
        working_side: int = 400,
        iterations: int = 4,
        border_fraction: float = 0.03,
        superpixels: int = 300,
    ) -> None:
        self.working_side = working_side
        self.iterations = iterations
        self.border_fraction = border_fraction
        self.superpixels = superpixels
        self.limits = ModelLimits(max_side=1024, min_side=1, input_format="PNG")

    def cache_params(self) -> dict:
        return {
            "version": _VERSION,
            "working_side": self.working_side,
            "iterations": self.iterations,
            "border_fraction": self.border_fraction,
            "superpixels": self.superpixels,
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
        small, hard = self._subject(rgb)
        if not hard.any():
            raise EmptyMaskError("no subject found: the image looks like plain background")
        radius = max(2, min(small.shape[:2]) // 80)
        soft = guided_filter(small, hard.astype(np.float32), radius=radius)
        mask = np.clip(soft * 255.0, 0, 255).astype(np.uint8)
        if mask.shape[:2] != (height, width):
            mask = np.asarray(cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR))
        return Image.fromarray(mask, mode="L")

    def _subject(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The subject's boolean mask, and the copy of ``rgb`` it was found on.

        The saliency map always seeds GrabCut, unless the backdrop model already agrees
        with its seeds; the backdrop model runs when the border looks like one.
        """
        small = _resize_to(rgb, self.working_side)
        lab = _lab(small)
        border = border_mask(lab.shape[:2], self.border_fraction)
        seeds = _seeds(*self._saliency(lab, focus_evidence(rgb)), border)
        smooth = None
        if fit_backdrop(lab, border).noise <= BUSY_NOISE:
            sharp = _resize_to(rgb, BACKDROP_SIDE)
            smooth = fill_holes(keep_parts(self._on_backdrop(_lab(sharp))), TINY_HOLE_SHARE)
        if smooth is not None and _claims_border(_shrink(smooth, lab.shape[:2]), border):
            smooth = None  # the surface did not explain the border: no backdrop after all
        if smooth is not None:
            probable = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
            if iou(_shrink(smooth, lab.shape[:2]), probable) >= AGREEMENT:
                return sharp, smooth
        busy = fill_holes(keep_parts(grabcut(small, seeds, self.iterations)), HOLE_SHARE)
        if smooth is not None and _prefer_backdrop(_shrink(smooth, lab.shape[:2]), busy, lab):
            return sharp, smooth
        return small, busy

    def _on_backdrop(self, lab: np.ndarray) -> np.ndarray:
        """Subject on a plain or gradient backdrop: far from the fitted surface.

        The border's fit finds most of the backdrop; refitting a more flexible surface
        to all of it follows gradients the border alone cannot tell (a spot of light).
        """
        backdrop = fit_backdrop(lab, border_mask(lab.shape[:2], self.border_fraction))
        hard = _far_from(backdrop)
        for _ in range(REFITS):
            backdrop = fit_backdrop(lab, ~_grow(hard), REFIT_DEGREE)
            hard = _far_from(backdrop)
        return hard

    def _saliency(
        self, lab: np.ndarray, focus: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pixel saliency 0..1 and trusted defocus 0..1 at ``lab``'s size.

        Both are computed on a smaller copy. ``focus`` is ``focus_evidence`` of the
        photo at full resolution: a defocus blur of 1-2 px is lost at the saliency
        map's size. It weighs the foreground cue as far as ``cue_strength`` trusts it;
        fine detail weighs the rest. The defocus is each region's lack of focus times
        that trust (0 where the border is in focus).
        """
        height, width = lab.shape[:2]
        small = _resize_to(lab, SALIENCY_SIDE)
        regions = slic(small, self.superpixels)
        edge = border_mask(small.shape[:2], self.border_fraction)
        on_border = np.zeros(regions.count, bool)
        on_border[np.unique(regions.labels[edge])] = True
        weighted, weight = (
            cv2.resize(f, small.shape[1::-1], interpolation=cv2.INTER_AREA) for f in focus
        )
        strength = cue_strength(*focus, border_mask(focus[1].shape, self.border_fraction))
        focused = region_focus(weighted, weight, regions.labels, regions.count)
        detail = region_detail(small[..., 0], regions.labels, regions.count)
        defocus = (strength * (1.0 - focused))[regions.labels].astype(np.float32)
        detail = strength * focused + (1.0 - strength) * detail
        values = region_saliency(regions, on_border, detail)[regions.labels].astype(np.float32)
        return (
            cv2.resize(values, (width, height), interpolation=cv2.INTER_LINEAR),
            cv2.resize(defocus, (width, height), interpolation=cv2.INTER_NEAREST),
        )


def _claims_border(hard: np.ndarray, border: np.ndarray) -> bool:
    """Whether ``hard`` covers more of the border band than a backdrop's subject can."""
    return bool(np.count_nonzero(hard & border) > BORDER_CLAIM * np.count_nonzero(border))


def _prefer_backdrop(smooth: np.ndarray, busy: np.ndarray, lab: np.ndarray) -> bool:
    """Whether the backdrop model's mask wins over the saliency one.

    When both agree the backdrop's is sharper (it keeps real holes and thin parts).
    When the backdrop's holds the saliency one, it wins: the saliency found only part
    of the subject. (Not the other way round: GrabCut and hole filling make a superset
    of the backdrop's mask that has lost its real holes.) Otherwise the backdrop's,
    unless the saliency mask's outline follows clearly stronger edges in the photo.
    """
    if iou(smooth, busy) >= AGREEMENT:
        return True
    if np.count_nonzero(smooth & busy) >= CONTAINED * np.count_nonzero(busy):
        return True
    return OUTLINE_MARGIN * outline_contrast(lab, smooth) >= outline_contrast(lab, busy)


def _shrink(hard: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A boolean mask resized to ``shape`` (height, width)."""
    if hard.shape == shape:
        return hard
    resized = cv2.resize(hard.astype(np.float32), shape[::-1], interpolation=cv2.INTER_AREA)
    return resized > 0.5


def _far_from(backdrop: Backdrop) -> np.ndarray:
    """Pixels clearly off the backdrop surface, with their weaker connected neighbours."""
    low = max(MIN_CONTRAST, NOISE_FACTOR * backdrop.noise)
    return hysteresis(backdrop.residual, low, 2.0 * low)


def _grow(hard: np.ndarray) -> np.ndarray:
    """``hard`` dilated a little, so its soft edge is not taken for backdrop."""
    return cv2.dilate(hard.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def _seeds(saliency: np.ndarray, defocus: np.ndarray, border: np.ndarray) -> np.ndarray:
    """GrabCut seeds from a 0..1 saliency map: sure, probable and border background.

    A salient region that looks out of focus (``defocus`` above ``DEFOCUS_DOUBT``,
    or a region without edges where focus is trusted) is only probable foreground:
    a sharp thing in a defocused background is likelier the subject, and GrabCut
    can still keep it by colour.
    """
    threshold = _otsu(saliency)
    seeds = np.full(saliency.shape, cv2.GC_PR_BGD, np.uint8)
    seeds[saliency > threshold] = cv2.GC_PR_FGD
    sure = saliency > threshold + 0.5 * (saliency.max() - threshold)
    seeds[sure & (defocus <= DEFOCUS_DOUBT)] = cv2.GC_FGD
    seeds[(saliency < 0.5 * threshold)] = cv2.GC_BGD
    seeds[border & (saliency <= threshold)] = cv2.GC_BGD
    return seeds


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in 0..1."""
    grey = np.clip(values * 255, 0, 255).astype(np.uint8)
    threshold, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(threshold) / 255.0


def _resize_to(picture: np.ndarray, side: int) -> np.ndarray:
    """Scale down so the longer side is at most ``side`` (never up)."""
    height, width = picture.shape[:2]
    scale = side / max(height, width)
    if scale >= 1.0:
        return picture
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(picture, size, interpolation=cv2.INTER_AREA)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab in its own units (L 0..100), float32."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
