"""How much of a Bedrock quota a batch uses, on the simulated Bedrock.

500 images through the real definition on the local engine with
``--simulate rpm=600,latency_ms=2000``: a 600 requests-per-minute quota and 2 s per
call. The clock is scaled down by ``--time-scale`` (default 0.5: a simulated
second lasts 0.5 s of wall time, as fast as the local engine keeps up with; latency, the quota's window and every retry wait
are scaled alike), so the figures are in simulated time.

Prints completed items per minute as a fraction of the quota (target ≥ 0.9),
model attempts per item, and items lost (must be 0).
Usage: ``python -m benchmarks.quota_throughput [--items 500] [--concurrency 24]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.engine_overhead import make_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--rpm", type=int, default=600)
    parser.add_argument("--latency-ms", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=24, help="Map MaxConcurrency")
    parser.add_argument("--time-scale", type=float, default=0.5)
    args = parser.parse_args()

    from lambdas.models import simulated_bedrock
    from workflow.local_engine import LocalEngine

    spec = f"rpm={args.rpm},latency_ms={args.latency_ms},seed=1"
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        make_images(folder, args.items, 64)
        engine = LocalEngine(
            model="stability",
            simulate=spec,
            concurrency=args.concurrency,
            retry_clock_scale=args.time_scale,
            cache_dir=None,
        )
        started = time.perf_counter()
        outcome = engine.run(folder, out)
        wall = time.perf_counter() - started
        report = json.loads((out / "report.json").read_text())
    simulator = simulated_bedrock.shared(spec, time_scale=args.time_scale)
    simulated_minutes = wall / args.time_scale / 60
    succeeded = report["counts"]["succeeded"]
    per_minute = succeeded / simulated_minutes
    # While the Map ran: from the first model call to the last answer, setup and report excluded.
    map_minutes = (simulator.last_answer_at - simulator.first_call_at) / 60
    map_per_minute = simulator.succeeded / map_minutes
    rows = [
        ("items", f"{args.items}"),
        ("succeeded / failed", f"{succeeded} / {report['counts']['failed']}"),
        ("items lost (not in the report)", f"{args.items - len(report['items'])}"),
        ("simulated minutes (wall s)", f"{simulated_minutes:.2f} ({wall:.1f} s)"),
        ("items per minute, end to end", f"{per_minute:.0f}"),
        ("fraction of the quota, end to end", f"{per_minute / args.rpm:.2f}"),
        ("items per minute, model phase", f"{map_per_minute:.0f}"),
        ("fraction of the quota, model phase", f"{map_per_minute / args.rpm:.2f}"),
        ("model attempts per item", f"{report['model_calls'] / max(1, succeeded):.2f}"),
        ("throttled attempts", f"{simulator.throttled}"),
        ("exit code", f"{outcome.exit_code}"),
    ]
    print(
        f"Quota throughput: {spec}, concurrency {args.concurrency}, "
        f"clock x{args.time_scale} (figures in simulated time)"
    )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:{width}}  {value:>18}")


if __name__ == "__main__":
    main()
