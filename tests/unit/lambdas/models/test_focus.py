"""The focus cue: edges in focus against defocused edges and edgeless regions."""

import cv2
import numpy as np

from lambdas.models.classical.backdrop import border_mask
from lambdas.models.classical.focus import (
    DETAIL_FLOOR,
    NO_EVIDENCE,
    cue_strength,
    focus_evidence,
    region_detail,
    region_focus,
)


def _checkers(blur: float) -> np.ndarray:
    """A 64 x 64 black and white checkerboard of 8 px squares, blurred by ``blur`` px."""
    ys, xs = np.mgrid[0:64, 0:64]
    grey = np.where((ys // 8 + xs // 8) % 2 == 0, 40.0, 210.0).astype(np.float32)
    if blur:
        grey = cv2.GaussianBlur(grey, (0, 0), blur)
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """Sharp checkers | defocused checkers | flat grey, and their region labels 0, 1, 2."""
    rgb = np.concatenate([_checkers(0), _checkers(2.0), np.full((64, 64, 3), 128, np.uint8)], 1)
    labels = np.repeat(np.arange(3), 64)[None, :].repeat(64, axis=0).astype(np.int32)
    return rgb, labels


def test_sharp_edges_are_in_focus_and_defocused_ones_are_not():
    rgb, labels = _scene()
    weighted, weight = focus_evidence(rgb)
    assert weighted.shape == weight.shape == rgb.shape[:2]
    assert weight[:, 128 + 4 :].max() == 0.0  # no edges in the flat grey: no evidence
    sharp, blurred, flat = region_focus(weighted, weight, labels, 3)
    # Pixels beside a sharp edge count as blurred, so a sharp edge scores about 0.5.
    assert sharp > 0.45 and blurred < 0.2 and sharp > 3 * blurred
    assert abs(flat - NO_EVIDENCE) < 0.02  # only the blurred squares' spill-over counts


def test_region_focus_survives_averaging_to_a_smaller_size():
    rgb, labels = _scene()
    small = [cv2.resize(f, (96, 32), interpolation=cv2.INTER_AREA) for f in focus_evidence(rgb)]
    small_labels = np.repeat(np.arange(3), 32)[None, :].repeat(32, axis=0).astype(np.int32)
    sharp, blurred, flat = region_focus(*small, small_labels, 3)
    assert sharp > 0.45 and blurred < 0.2 and abs(flat - NO_EVIDENCE) < 0.05


def test_focus_evidence_does_not_depend_on_contrast():
    rgb, labels = _scene()
    faint = (128 + (rgb.astype(np.float32) - 128) * 0.5).astype(np.uint8)
    strong = region_focus(*focus_evidence(rgb), labels, 3)
    weak = region_focus(*focus_evidence(faint), labels, 3)
    assert np.allclose(strong[:2], weak[:2], atol=0.05)


def _framed(border_blur: float) -> np.ndarray:
    """Sharp checkers in the middle of a frame of checkers blurred by ``border_blur`` px."""
    rgb = np.tile(_checkers(border_blur), (3, 3, 1))
    rgb[64:128, 64:128] = _checkers(0)
    return rgb


def test_focus_is_trusted_only_when_the_border_is_out_of_focus():
    defocused, sharp = _framed(2.0), _framed(0)
    border = border_mask(defocused.shape[:2], 0.05)
    assert cue_strength(*focus_evidence(defocused), border) == 1.0
    assert cue_strength(*focus_evidence(sharp), border) == 0.0


def test_fine_detail_is_higher_on_texture_and_never_below_the_floor():
    rgb, labels = _scene()
    lightness = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sharp, blurred, flat = region_detail(lightness, labels, 3)
    assert sharp > blurred > flat >= DETAIL_FLOOR and sharp <= 1.0
