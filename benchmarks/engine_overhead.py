"""What the local engine's orchestration costs, as a ratio against a plain loop.

For each N, the same N small images go through
  * the engine: the real definition on moto's interpreter (``LocalEngine.run``), and
  * the baseline: the same handler functions called in a plain loop, with the same
    concurrency (a thread pool), against the same moto S3,
and the table shows both wall times and engine / baseline. A last row runs a
10,000-item manifest of tiny images through the engine and reports its peak RSS.

Each measurement runs in its own process so peak RSS is that run's alone.
Usage: ``python -m benchmarks.engine_overhead [--sizes 100,2000] [--big 10000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CONCURRENCY = 8
#: The model both sides call: a simulated Bedrock that answers at once, so the table
#: measures the orchestration around the steps, not a model's seconds per image.
MODEL = {"model": "stability", "simulate": "latency_ms=0,seed=1"}
if os.environ.get("BGREMOVE_BENCH_MODEL") == "local":  # the offline model's real work instead
    MODEL = {"model": "local"}
    CONCURRENCY = 2  # what a local run's default gives a 2-core machine: more only thrashes


def make_images(folder: Path, count: int, size: int) -> None:
    """``count`` distinct small photo-like PNGs: a disc on a plain background.

    Each carries its index as a row of dots, so no two are the same bytes (the
    result cache would otherwise skip the model for repeats).
    """
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        image = Image.new("RGB", (size, size), (200 + index % 40, 210, 220))
        draw = ImageDraw.Draw(image)
        margin = size // 4
        draw.ellipse(
            (margin, margin, size - margin, size - margin), fill=(40, 90 + index % 120, 160)
        )
        for bit in range(16):
            if index >> bit & 1:
                image.putpixel((size // 2 - 8 + bit, size // 2), (250, 250, 250))
        image.save(folder / f"img_{index:05d}.png")


def run_engine(folder: Path) -> dict:
    from workflow.local_engine import LocalEngine

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        # No mask cache: both sides must do every item's work.
        engine = LocalEngine(concurrency=CONCURRENCY, cache_dir=None, **MODEL)
        outcome = engine.run(folder, Path(out))
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "counts": outcome.counts, "status": outcome.status}


def run_baseline(folder: Path) -> dict:
    """The definition's steps, called directly: Plan, then a thread pool over items, then Report."""
    import boto3

    from lambdas import storage
    from lambdas.handlers import plan, record_failure, remove_background, report, resize, store
    from lambdas.handlers import validate as validate_handler
    from workflow import local_engine

    def item_pipeline(state: dict) -> str:
        try:
            state["validated"] = validate_handler.handler(state)
            state["resized"] = resize.handler(state)
            state["mask"] = remove_background.handler(state)
            store.handler(state)
            return "succeeded"
        except Exception as error:  # as the definition's Catch does
            state["error"] = {
                "Error": type(error).__name__,
                "Cause": json.dumps({"errorMessage": str(error)}),
            }
            record_failure.handler(state)
            return "failed"

    out = Path(tempfile.mkdtemp(prefix="bgremove-baseline-"))
    request, root, label = local_engine.local_request(folder)
    env = local_engine.local_environment(root, out, None, label)
    with local_engine.local_aws(env, None):
        s3 = boto3.client("s3", region_name=local_engine.REGION)
        s3.create_bucket(Bucket=local_engine.BUCKET)
        started = time.perf_counter()
        request["options"] = {"concurrency": CONCURRENCY, **MODEL}
        planned = plan.handler({"request": request, "execution_name": "baseline"})
        items = storage.read_json(s3, planned["items_bucket"], planned["items_key"])
        states = [{"item": item, "run": planned["run"]} for item in items]
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            statuses = list(pool.map(item_pipeline, states))
        summary = report.handler({"run": planned["run"]})
        elapsed = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return {
        "seconds": elapsed,
        "counts": summary["counts"],
        "status": "finished" if statuses else "empty",
    }


def measure(mode: str, count: int, size: int) -> dict:
    """Run one measurement in this process (called in a child process)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        make_images(folder, count, size)
        result = run_engine(folder) if mode == "engine" else run_baseline(folder)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def in_child(mode: str, count: int, size: int) -> dict:
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.engine_overhead",
            "--child",
            mode,
            str(count),
            str(size),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="100,2000", help="item counts to compare (default 100,2000)"
    )
    parser.add_argument(
        "--big", type=int, default=10_000, help="items in the memory run (0 = skip)"
    )
    parser.add_argument("--image-size", type=int, default=64, help="side of the test images in px")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, count, size = args.child
        print(json.dumps(measure(mode, int(count), int(size))))
        return

    rows = []
    for count in [int(value) for value in args.sizes.split(",") if value]:
        baseline = in_child("baseline", count, args.image_size)
        engine = in_child("engine", count, args.image_size)
        assert engine["counts"] == baseline["counts"], (engine["counts"], baseline["counts"])
        rows.append(
            (
                f"{count:,} items",
                f"{baseline['seconds']:.1f}",
                f"{engine['seconds']:.1f}",
                f"{engine['seconds'] / baseline['seconds']:.2f}",
                f"{(engine['seconds'] - baseline['seconds']) / count * 1000:.1f}",
                f"{engine['peak_rss_mib']:.0f}",
                engine["status"],
            )
        )
    if args.big:
        big = in_child("engine", args.big, 16)
        rows.append(
            (
                f"{args.big:,} tiny",
                "-",
                f"{big['seconds']:.1f}",
                "-",
                "-",
                f"{big['peak_rss_mib']:.0f}",
                f"{big['status']} {big['counts'].get('succeeded', 0)} ok",
            )
        )
    header = (
        "run",
        "loop s",
        "engine s",
        "engine/loop",
        "ms/item added",
        "engine peak RSS MiB",
        "result",
    )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print(
        f"Local engine overhead (concurrency {CONCURRENCY}, model {MODEL['model']}"
        f"{' answered by a simulated Bedrock at once' if 'simulate' in MODEL else ''}, "
        f"{args.image_size}px images)"
    )
    for row in [header, *rows]:
        print("  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
