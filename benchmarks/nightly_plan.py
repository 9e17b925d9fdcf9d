"""Plan of a nightly run over a bucket where every photo is already done (moto S3).

The nightly schedule runs the whole ``inputs/`` prefix with ``skip_done``; as the
bucket grows, Plan must stay within its Lambda timeout. This puts N inputs and, a
second later, their N cutouts into moto's S3 (straight into moto's backend: seeding is
timed apart and is not part of Plan's time), then times Plan and counts its S3
requests by operation. The local engine's moto workarounds are applied, as in a local
run: number 14 makes a listing page cost what the page holds, as on AWS (moto's own
sorts the whole bucket for every page; ``--unpatched`` measures that). The table
separates the time spent inside S3 calls from Plan's own. The baseline row is the
same Plan over N/10 photos: requests should grow with listing pages (1,000 keys
each), not with photos.

Usage: ``python -m benchmarks.nightly_plan [--photos 100000] [--unpatched]``.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter


def measure(photos: int) -> dict:
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from lambdas import clients
    from lambdas.planning import plan_run
    from lambdas.settings import Settings

    with mock_aws():
        clients.reset()
        s3 = clients.s3()  # the client Plan's Lambda uses
        s3.create_bucket(Bucket="batch")
        seeding = time.perf_counter()
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        for index in range(photos):
            backend.put_object("batch", f"inputs/shop/p{index:06d}.jpg", b"x")
        time.sleep(1.1)  # S3 times are whole seconds: the cutouts are strictly newer
        for index in range(photos):
            backend.put_object("batch", f"outputs/shop/p{index:06d}_bg_removed.png", b"x")
        seeding = time.perf_counter() - seeding - 1.1
        calls: Counter[str] = Counter()
        in_s3 = [0.0]
        began: list[float] = []

        def before(model, **_):
            calls.update([model.name])
            began.append(time.perf_counter())

        def after(**_):
            in_s3[0] += time.perf_counter() - began.pop()

        s3.meta.events.register("before-call.s3.*", before)
        s3.meta.events.register("after-call.s3.*", after)
        started, cpu = time.perf_counter(), time.process_time()
        result = plan_run(
            {"prefix": "s3://batch/inputs/", "options": {"skip_done": True}},
            run_id="nightly",
            settings=Settings(bucket="batch", model="stability", simulate="throttle=0"),
            s3=s3,
        )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        clients.reset()
    return {
        "seeding": seeding,
        "seconds": seconds,
        "cpu": cpu,
        "in_s3": in_s3[0],
        "calls": calls,
        "to_process": result["to_process"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument(
        "--unpatched", action="store_true", help="moto's own S3 listing (no workaround 14)"
    )
    args = parser.parse_args()
    if not args.unpatched:
        from workflow import moto_workarounds

        moto_workarounds.apply()
    rows = []
    for photos in (args.photos // 10, args.photos):
        result = measure(photos)
        calls = result["calls"]
        rows.append(
            (
                f"{photos:,}",
                f"{result['seeding']:.1f}",
                f"{result['seconds']:.1f}",
                f"{result['cpu']:.1f}",
                f"{result['in_s3']:.1f}",
                f"{result['seconds'] - result['in_s3']:.1f}",
                str(sum(calls.values())),
                ", ".join(f"{name} {count}" for name, count in sorted(calls.items())),
                str(result["to_process"]),
            )
        )
    header = (
        "done photos",
        "seeding s",
        "Plan s",
        "Plan CPU s",
        "in moto's S3 s",
        "Plan's own s",
        "S3 requests",
        "by operation",
        "to process",
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    listing = "moto's own listing" if args.unpatched else "workarounds applied"
    print(f"Nightly Plan with skip_done over an all-done bucket (moto S3, {listing})")
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
