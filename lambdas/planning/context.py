"""A run's id and its context: what every step of the run is told about it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from lambdas import layout
from lambdas.payloads import LocalContext, RunContext
from lambdas.settings import Settings


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as ``20261124T142200Z-3f9a1c``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def run_context(run_id: str, settings: Settings, warnings: list[str] | None = None) -> RunContext:
    run = RunContext(
        run_id=run_id,
        bucket=settings.bucket,
        engine="local" if settings.engine == "local" else "aws",
        model=settings.model,
        model_options=settings.model_options(),
        output_format=settings.output_format,  # type: ignore[typeddict-item]
        runs_prefix=layout.runs_prefix(run_id),
        work_prefix=layout.work_prefix(run_id),
        report_prefix=layout.report_prefix(run_id),
        output_prefix=settings.output_prefix,
        max_bytes=settings.max_bytes,
        max_pixels=settings.max_pixels,
        url_expiry_seconds=settings.url_expiry_seconds,
        warnings=warnings or [],
    )
    if settings.output_options:
        run["output_options"] = dict(settings.output_options)
    if settings.local_root and settings.local_out:
        run["local"] = LocalContext(
            root=settings.local_root,
            out=settings.local_out,
            cache=settings.local_cache,
            label=settings.local_label,
        )
    return run
