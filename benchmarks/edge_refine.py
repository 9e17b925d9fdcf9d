"""Edge refinement's cost: the Store step with and without it, on a 24 MP and a 100 MP photo.

Each case runs in its own child process: Validate, Resize and Remove background with
the ``local`` model (its mask is 1024 px), then the peak-memory mark is reset
(``/proc/self/clear_refs``) and Store runs alone, so the peak RSS is Store's. The
baseline, measured in the same run, is today's plain bicubic upscale of the mask.
Photos are ``benchmarks.local_scale``'s camera-like JPEGs (kept under ``.bench/``).
Usage: ``python -m benchmarks.edge_refine [--repeat 3] [--skip-100mp]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.local_scale import BENCH, ROOT, big_photo_steps, make_photos, table

PHOTOS = {"24 MP": (6000, 4000), "100 MP": (12240, 8160)}


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(path: Path, refine: bool) -> dict:
    """Store on ``path`` (the steps before it excluded from the figures)."""
    from lambdas import item_steps
    from lambdas.imaging import compose

    if not refine:
        item_steps.apply_mask = functools.partial(compose.apply_mask, refine=False)

    def before_store() -> None:
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS from here on

    result = big_photo_steps(path, before_store=before_store)
    return {"store": result["steps"]["store"], "rss_mib": _peak_mib()}


def run_case(path: Path, refine: bool) -> dict:
    command = [sys.executable, "-m", "benchmarks.edge_refine", "--child", str(path)]
    if refine:
        command.append("--refine")
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median shown)")
    parser.add_argument("--skip-100mp", action="store_true", help="only the 24 MP photo")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--refine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.refine)))
        return
    rows = []
    for name, size in PHOTOS.items():
        if args.skip_100mp and name == "100 MP":
            continue
        folder = BENCH / f"photo_{name.replace(' ', '')}"
        path = make_photos(folder, 1, size) / "IMG_00000.jpg"
        baseline = None
        for label, refine in (("plain bicubic (before)", False), ("refined edges", True)):
            runs = [run_case(path, refine) for _ in range(args.repeat)]
            seconds = statistics.median(run["store"] for run in runs)
            rss = statistics.median(run["rss_mib"] for run in runs)
            baseline = baseline or (seconds, rss)
            rows.append(
                (
                    name,
                    label,
                    f"{seconds:.2f}",
                    f"{seconds / baseline[0]:.2f}",
                    f"{rss:.0f}",
                    f"{rss / baseline[1]:.2f}",
                )
            )
    table(
        f"Store step, local model's 1024 px mask (median of {args.repeat}, each in a child)",
        ("photo", "edges", "store s", "× plain", "peak RSS MiB", "× plain"),
        rows,
    )


if __name__ == "__main__":
    main()
