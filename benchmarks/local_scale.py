"""Local runs at real sizes: memory against folder size, one big photo, first cutout.

Three tables, each with its baseline measured in the same run:

* **Folder size.** ``bgremove run`` (a child process, default concurrency) over N
  distinct 1600×1200 camera-like JPEGs for two values of N: peak RSS (from the
  kernel's accounting of that child), seconds, and seconds until the first cutout is
  on disk; the ratio of the big folder's peak RSS to the small one's.
* **One big photo.** Each step's seconds on a 24 MP (and a 100 MP) JPEG with the
  ``local`` model, engine start excluded, and peak RSS.
* **PNG encode** of that 24 MP cutout: bgremove's encoder against Pillow's, time and size.

Photos are made from the repository's samples (scaled, shifted in brightness,
with noise so every file differs) under ``.bench/``. Usage:
``python -m benchmarks.local_scale [--counts 100,1000] [--model local] [--skip-big]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench" / "local_scale"
SAMPLES = ROOT / "samples" / "photos"


def make_photos(folder: Path, count: int, size: tuple[int, int]) -> Path:
    """``count`` distinct camera-like JPEGs of ``size`` (kept between runs).

    Made in a child process: a child forked from a big parent starts its memory
    accounting at the parent's size, which would inflate every peak measured after.
    """
    arguments = [str(folder), str(count), f"{size[0]}x{size[1]}"]
    subprocess.run(
        [sys.executable, "-m", "benchmarks.local_scale", "--child-photos", *arguments],
        cwd=ROOT,
        check=True,
    )
    return folder


def _make_photos(folder: Path, count: int, size: tuple[int, int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    have = len(list(folder.glob("*.jpg")))
    bases = [Image.open(path).convert("RGB") for path in sorted(SAMPLES.glob("*.*g"))]
    rng = np.random.default_rng(count)
    for index in range(have, count):
        photo = bases[index % len(bases)].resize(size, Image.Resampling.BICUBIC)
        photo = ImageEnhance.Brightness(photo).enhance(0.85 + 0.3 * rng.random())
        noisy = np.asarray(photo, np.int16) + rng.integers(-6, 7, (size[1], size[0], 3))
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(
            folder / f"IMG_{index:05d}.jpg", quality=90
        )


def folder_run(folder: Path, model: list[str]) -> dict:
    """One ``bgremove run`` in a child: seconds, first cutout, peak RSS of that child."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "cli.main", "run", str(folder), "--out", out]
        command += ["--no-cache", "--quiet", *model]
        started = time.monotonic()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        first = None
        while True:
            finished, status, usage = os.wait4(child.pid, os.WNOHANG)
            if first is None and any(Path(out).glob("*_bg_removed.*")):
                first = time.monotonic() - started
            if finished:
                break
            time.sleep(0.05)
        seconds = time.monotonic() - started
        report = json.loads((Path(out) / "report.json").read_text())
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": seconds,
        "first": first,
        "rss_mib": usage.ru_maxrss / 1024,
        "succeeded": report["counts"]["succeeded"],
        "exit": child.returncode,
    }


def big_photo_steps(path: Path, before_store: Callable[[], None] | None = None) -> dict:
    """Each step on one photo with the local model, in this process (engine excluded).

    ``before_store`` is called just before the Store step (``benchmarks.edge_refine``).
    """
    from lambdas import item_steps
    from lambdas.models import get_model
    from lambdas.planning import run_context
    from lambdas.run_store import LocalRunStore
    from lambdas.settings import Settings

    with tempfile.TemporaryDirectory() as out:
        settings = Settings(
            bucket="bench",
            engine="local",
            input_prefix="",
            local_root=str(path.parent),
            local_out=out,
            max_bytes=500_000_000,
            max_pixels=300_000_000,
        )
        run = run_context("bench", settings)
        store = LocalRunStore.from_context(run, s3=None)
        model = get_model("local")
        item = {
            "item_id": "000001",
            "source": path.name,
            "source_key": path.name,
            "output_key": f"outputs/{path.stem}_bg_removed.png",
        }
        state: dict = {"item": item, "run": run}
        steps = {
            "validate": ("validated", lambda: item_steps.validate(state, store=store)),
            "resize": ("resized", lambda: item_steps.resize(state, store=store, model=model)),
            "remove background": (
                "mask",
                lambda: item_steps.remove_background(state, store=store, model=model),
            ),
            "store": (None, lambda: item_steps.store(state, store=store)),
        }
        seconds = {}
        for name, (result_path, step) in steps.items():
            if name == "store" and before_store:
                before_store()
            started = time.perf_counter()
            result = step()
            seconds[name] = time.perf_counter() - started
            if result_path:
                state[result_path] = result
        size = (Path(out) / f"{path.stem}_bg_removed.png").stat().st_size
    return {"steps": seconds, "png_mb": size / 1e6}


def encode_comparison(path: Path) -> list[tuple[str, float, float]]:
    from PIL import ImageDraw

    from lambdas.imaging.compose import apply_mask, encode_output

    photo = Image.open(path).convert("RGB")
    mask = Image.new("L", (1024, 683), 0)
    ImageDraw.Draw(mask).ellipse((250, 80, 780, 660), fill=255)
    cutout = apply_mask(photo, mask, None)
    rows = []
    for name, encode in (
        ("bgremove (Up filter, zlib 1, threads)", lambda: encode_output(cutout, "png")),
        ("Pillow PNG level 1", lambda: _pillow(cutout, 1)),
        ("Pillow PNG level 6 (Pillow's default)", lambda: _pillow(cutout, 6)),
    ):
        started = time.perf_counter()
        data = encode()
        rows.append((name, time.perf_counter() - started, len(data) / 1e6))
    return rows


def _pillow(cutout: Image.Image, level: int) -> bytes:
    buffer = io.BytesIO()
    cutout.save(buffer, format="PNG", compress_level=level)
    return buffer.getvalue()


def table(title: str, header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,1000", help="folder sizes (default 100,1000)")
    parser.add_argument("--model", default="local", help="model for the folder runs")
    parser.add_argument("--simulate", default=None, help="--simulate spec for a Bedrock model")
    parser.add_argument("--skip-big", action="store_true", help="skip the 24 / 100 MP photos")
    parser.add_argument("--child-steps", help=argparse.SUPPRESS)
    parser.add_argument("--child-photos", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_photos:
        folder, count, size = args.child_photos
        width, height = (int(side) for side in size.split("x"))
        _make_photos(Path(folder), int(count), (width, height))
        return
    if args.child_steps:
        result = big_photo_steps(Path(args.child_steps))
        result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    model = ["--model", args.model] + (["--simulate", args.simulate] if args.simulate else [])
    counts = [int(value) for value in args.counts.split(",") if value]
    folder = make_photos(BENCH / "photos_1600x1200", max(counts), (1600, 1200))
    runs = {}
    for count in counts:
        subset = BENCH / f"subset_{count}"
        subset.mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.glob("*.jpg"))[:count]:
            link = subset / path.name
            if not link.exists():
                link.symlink_to(path)
        runs[count] = folder_run(subset, model)
    smallest = runs[counts[0]]["rss_mib"]
    table(
        f"Folder size (1600×1200 JPEGs, model {' '.join(model[1:])}, default concurrency)",
        ("photos", "succeeded", "seconds", "first cutout s", "peak RSS MiB", "RSS / smallest"),
        [
            (
                f"{count:,}",
                run["succeeded"],
                f"{run['seconds']:.1f}",
                f"{run['first']:.1f}" if run["first"] is not None else "-",
                f"{run['rss_mib']:.0f}",
                f"{run['rss_mib'] / smallest:.2f}",
            )
            for count, run in runs.items()
        ],
    )
    if args.skip_big:
        return
    rows = []
    for name, size in (("24 MP", (6000, 4000)), ("100 MP", (12240, 8160))):
        path = make_photos(BENCH / f"photo_{name.replace(' ', '')}", 1, size) / "IMG_00000.jpg"
        output = subprocess.run(
            [sys.executable, "-m", "benchmarks.local_scale", "--child-steps", str(path)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        steps = result["steps"]
        rows.append(
            (
                name,
                *(f"{seconds:.2f}" for seconds in steps.values()),
                f"{sum(steps.values()):.2f}",
                f"{result['png_mb']:.1f}",
                f"{result['rss_mib']:.0f}",
            )
        )
    table(
        "One photo end to end, local model, engine start excluded (seconds)",
        ("photo", "validate", "resize", "remove bg", "store", "total", "PNG MB", "peak RSS MiB"),
        rows,
    )
    encodes = encode_comparison(BENCH / "photo_24MP" / "IMG_00000.jpg")
    ours = encodes[0][1]
    table(
        "PNG encode of the 24 MP cutout",
        ("encoder", "seconds", "MB", "seconds / bgremove's"),
        [
            (name, f"{seconds:.2f}", f"{mb:.1f}", f"{seconds / ours:.2f}")
            for name, seconds, mb in encodes
        ],
    )


if __name__ == "__main__":
    main()
