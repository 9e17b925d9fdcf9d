"""How well the offline ``local`` model cuts out real photos, per kind of background.

Scenes with an exact truth (see ``benchmarks.quality_scenes``): photographic stamps on
plain, gradient, texture and cluttered backgrounds, and scikit-image's ``coins``. For
each category the table gives the mean IoU of the mask (alpha > 127) with the truth, a
boundary F-score (mask edges within ``TOLERANCE`` pixels of true edges) and seconds per
megapixel; ``mean`` is the mean of the four background categories' IoUs. A contact sheet
(input | truth | prediction for a sample of each category) goes to
``.bench/quality/contact_sheet.png``.

Usage: ``python -m benchmarks.quality [--limit N] [--seed S]`` (N stamps a category).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from benchmarks.quality_scenes import (
    CACHE,
    CATEGORIES,
    Scene,
    coins_scene,
    photographic_stamps,
    stamp_folder,
    stamp_scenes,
)
from lambdas.errors import EmptyMaskError
from lambdas.models.classical.refine import iou
from lambdas.models.local import LocalModel

TOLERANCE = 3  # pixels, for the boundary F-score
DEFAULT_LIMIT = 40  # stamps a category: 25 gave category means that moved by 0.02-0.1 between seeds
DEFAULT_SEED = 10
SHEET = CACHE / "quality" / "contact_sheet.png"
TILE = 240  # contact-sheet tile height


@dataclass(frozen=True)
class Result:
    """One scene's scores."""

    scene: Scene
    mask: np.ndarray
    iou: float
    boundary_f: float
    seconds_per_mp: float
    cpu_seconds_per_mp: float


def _edges(mask: np.ndarray) -> np.ndarray:
    binary = mask.astype(np.uint8)
    return (binary - cv2.erode(binary, np.ones((3, 3), np.uint8))).astype(bool)


def boundary_f(predicted: np.ndarray, truth: np.ndarray, tolerance: int = TOLERANCE) -> float:
    """F-score of boundary pixels matched within ``tolerance`` pixels (Martin et al.)."""
    edges_p, edges_t = _edges(predicted), _edges(truth)
    if not edges_p.any() or not edges_t.any():
        return float(edges_p.any() == edges_t.any())
    near_t = cv2.distanceTransform((~edges_t).astype(np.uint8), cv2.DIST_L2, 3) <= tolerance
    near_p = cv2.distanceTransform((~edges_p).astype(np.uint8), cv2.DIST_L2, 3) <= tolerance
    precision = np.count_nonzero(edges_p & near_t) / np.count_nonzero(edges_p)
    recall = np.count_nonzero(edges_t & near_p) / np.count_nonzero(edges_t)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def kept_objects(predicted: np.ndarray, truth: np.ndarray, cover: float = 0.5) -> tuple[int, int]:
    """How many of the truth's separate objects the prediction covers by at least ``cover``."""
    count, labels = cv2.connectedComponents(truth.astype(np.uint8), connectivity=8)
    kept = 0
    for label in range(1, count):
        part = labels == label
        kept += np.count_nonzero(predicted & part) >= cover * np.count_nonzero(part)
    return kept, count - 1


def score(model: LocalModel, scene: Scene) -> Result:
    """Run the model on one scene and score its mask."""
    image = Image.fromarray(scene.image)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        mask = np.asarray(model.remove_background(image)) > 127
    except EmptyMaskError:
        mask = np.zeros(scene.truth.shape, bool)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    megapixels = scene.image.shape[0] * scene.image.shape[1] / 1e6
    return Result(
        scene,
        mask,
        iou(mask, scene.truth),
        boundary_f(mask, scene.truth),
        seconds / megapixels,
        cpu_seconds / megapixels,
    )


def _row(label: str, rows: list[Result], mean_iou: float) -> str:
    """One table row: count, IoU (mean and worst), boundary F, median s/MP (wall, CPU)."""
    return (
        f"{label:<10} {len(rows):>3} {mean_iou:>6.3f} {min(r.iou for r in rows):>8.3f} "
        f"{np.mean([r.boundary_f for r in rows]):>8.3f} "
        f"{np.median([r.seconds_per_mp for r in rows]):>6.2f} "
        f"{np.median([r.cpu_seconds_per_mp for r in rows]):>8.2f}"
    )


def table(results: list[Result]) -> str:
    """A plain-text table: one row per category, then the mean of the four backgrounds.

    ``mean`` is the mean of the four background categories' mean IoUs; its other
    columns pool their scenes. Seconds per megapixel are medians, wall clock and CPU
    (all threads), each call timed in this process.
    """
    header = f"{'category':<10} {'n':>3} {'IoU':>6} {'min IoU':>8} {f'BF@{TOLERANCE}px':>8} {'s/MP':>6} {'CPU s/MP':>8}"
    lines = [header]
    means = []
    for category in (*CATEGORIES, "coins"):
        rows = [r for r in results if r.scene.category == category]
        if rows:
            mean_iou = float(np.mean([r.iou for r in rows]))
            if category in CATEGORIES:
                means.append(mean_iou)
            lines.append(_row(category, rows, mean_iou))
    pooled = [r for r in results if r.scene.category in CATEGORIES]
    if pooled:
        lines.append(_row("mean", pooled, float(np.mean(means))))
    for result in results:
        if result.scene.category == "coins":
            kept, total = kept_objects(result.mask, result.scene.truth)
            lines.append(f"coins kept: {kept} of {total} (each covered at least half)")
    return "\n".join(lines)


def _tile(picture: np.ndarray) -> Image.Image:
    image = Image.fromarray(picture)
    width = round(image.width * TILE / image.height)
    return image.resize((width, TILE), Image.Resampling.BILINEAR)


def contact_sheet(results: list[Result], path: Path = SHEET, per_category: int = 2) -> Path:
    """Input | truth | prediction for the first ``per_category`` scenes of each category."""
    rows = []
    for category in (*CATEGORIES, "coins"):
        picked = [r for r in results if r.scene.category == category][:per_category]
        for result in picked:
            truth = (result.scene.truth * 255).astype(np.uint8)
            predicted = (result.mask * 255).astype(np.uint8)
            tiles = [_tile(result.scene.image), _tile(truth), _tile(predicted)]
            row = Image.new("RGB", (sum(t.width for t in tiles) + 20, TILE + 18), "white")
            x = 0
            for tile in tiles:
                row.paste(tile, (x, 18))
                x += tile.width + 10
            label = f"{result.scene.name}  IoU {result.iou:.2f}  BF {result.boundary_f:.2f}"
            ImageDraw.Draw(row).text((4, 3), label, fill="black")
            rows.append(row)
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="stamps a category")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    stamps = photographic_stamps(stamp_folder())
    scenes = [*stamp_scenes(stamps, args.limit, args.seed), coins_scene()]
    model = LocalModel()
    model.remove_background(Image.fromarray(scenes[0].image))  # warm-up, not timed
    results = [score(model, scene) for scene in scenes]
    print(f"local model quality: {len(stamps)} photographic stamps, seed {args.seed}, {CATEGORIES}")
    print(table(results))
    print(f"contact sheet: {contact_sheet(results)}")


if __name__ == "__main__":
    main()
