"""The focus cue: edges in focus against defocused edges and edgeless regions."""

import cv2
import numpy as np

from lambdas.models.classical.focus import NO_EVIDENCE, focus_evidence, region_focus


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
