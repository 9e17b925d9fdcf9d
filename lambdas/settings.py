"""Run settings from the environment, with the defaults a user would expect."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lambdas import layout
from lambdas.errors import ConfigError
from lambdas.imaging.output import OUTPUT_OPTIONS, OutputOptions

OUTPUT_FORMATS = ("png", "webp", "jpeg")
#: The byte cap: a 24 MP 16-bit TIFF (6000 x 4000 x 3 x 2 = 144 MB) passes. MB = 10^6 bytes,
#: as the README and every message say.
MAX_BYTES = 200_000_000
#: The pixel cap: a 108 MP phone photo passes; 200 MP is what a model copy's bounded
#: decode and the full-resolution cutout are sized for.
MAX_PIXELS = 200_000_000


def megabytes(count: int) -> str:
    """``count`` bytes as the README writes them: decimal MB (``200 MB``, ``144.1 MB``)."""
    value = count / 1e6
    return f"{value:,.0f} MB" if value == round(value) else f"{value:,.1f} MB"


def megapixels(count: int) -> str:
    """``count`` pixels as the README writes them (``200 megapixels``, ``108.2 megapixels``)."""
    value = count / 1e6
    return f"{value:,.0f} megapixels" if value == round(value) else f"{value:,.1f} megapixels"


#: Memory one image in flight may take on the local engine (a 24 MP photo's cutout and copies).
IMAGE_MEMORY_BYTES = 600 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know that is not in its request.

    Attributes
    ----------
    input_prefix
        Keys a run may read sources from (``""`` = the whole bucket except the
        reserved prefixes, as in local runs).
    """

    bucket: str = ""
    engine: str = "aws"
    model: str = "local"
    output_format: str = "png"
    concurrency: int | None = None  # None: the model's default (lambdas.models.catalog)
    url_expiry_seconds: int = 3600  # the tutorial's one-hour presigned URL
    input_prefix: str = layout.INPUTS
    output_prefix: str = layout.OUTPUTS
    max_bytes: int = MAX_BYTES
    max_pixels: int = MAX_PIXELS
    simulate: str | None = None  # a --simulate spec: the model talks to a simulated Bedrock
    time_scale: float = 1.0  # compresses the simulator's clock (tests, rehearsals)
    model_path: str | None = None  # the onnx model's file
    # Local runs: the folder sources are read from, --out, the mask cache (see LocalPaths).
    local_root: str | None = None
    local_out: str | None = None
    local_cache: str | None = None
    local_label: str | None = None  # how a single-image run names its source
    # mask / bg_color / crop / margin / max_size (lambdas.imaging.output), as set
    output_options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        settings = cls(
            bucket=env.get("BGREMOVE_BUCKET", defaults.bucket),
            engine=env.get("BGREMOVE_ENGINE", defaults.engine),
            model=env.get("BGREMOVE_MODEL", defaults.model),
            output_format=env.get("BGREMOVE_FORMAT", defaults.output_format),
            concurrency=_optional_int(env, "BGREMOVE_CONCURRENCY"),
            url_expiry_seconds=_int(
                env, "BGREMOVE_URL_EXPIRY_SECONDS", defaults.url_expiry_seconds
            ),
            input_prefix=env.get("BGREMOVE_INPUT_PREFIX", defaults.input_prefix),
            output_prefix=env.get("BGREMOVE_OUTPUT_PREFIX", defaults.output_prefix),
            max_bytes=_int(env, "BGREMOVE_MAX_BYTES", defaults.max_bytes),
            max_pixels=_int(env, "BGREMOVE_MAX_PIXELS", defaults.max_pixels),
            model_path=env.get("BGREMOVE_ONNX_MODEL") or None,
            local_root=env.get("BGREMOVE_LOCAL_ROOT") or None,
            local_out=env.get("BGREMOVE_LOCAL_OUT") or None,
            local_cache=env.get("BGREMOVE_LOCAL_CACHE") or None,
            local_label=env.get("BGREMOVE_LOCAL_LABEL") or None,
        )
        # A rehearsal of the deployed workflow against the simulated Bedrock (tests).
        simulate = env.get("BGREMOVE_SIMULATE")
        return settings.with_options({"simulate": simulate} if simulate else {})

    def with_options(self, options: Mapping[str, Any]) -> Settings:
        """Apply a request's or manifest's ``options`` (model, format, concurrency, url expiry)."""
        changes: dict[str, Any] = {}
        if "model" in options:
            changes["model"] = str(options["model"])
        if "format" in options:
            changes["output_format"] = str(options["format"]).lower()
        if "concurrency" in options:
            changes["concurrency"] = _as_int(options["concurrency"], "concurrency")
        if options.get("simulate") is not None:
            from lambdas.models.simulated_bedrock import parse_spec

            parse_spec(str(options["simulate"]))  # refuse a bad spec before any work
            changes["simulate"] = str(options["simulate"])
        if options.get("time_scale") is not None:
            changes["time_scale"] = float(options["time_scale"])
        if options.get("model_path"):
            changes["model_path"] = str(options["model_path"])
        given = {name: options[name] for name in OUTPUT_OPTIONS if name in options}
        if given:
            merged = {**self.output_options, **given}
            changes["output_options"] = OutputOptions.from_options(merged).to_dict()
        if "url_expiry_seconds" in options:
            changes["url_expiry_seconds"] = _as_int(
                options["url_expiry_seconds"], "url_expiry_seconds"
            )
        return replace(self, **changes).validated()

    def effective_concurrency(self) -> int:
        """The Map's MaxConcurrency: as asked; else for a model that runs on this machine's
        CPU, what its cores and free memory fit; else what suits the model's default quota.
        """
        from lambdas.models.catalog import CATALOG

        if self.concurrency is not None:
            return self.concurrency
        facts = CATALOG.get(self.model)
        if facts is None:
            return 4
        if facts.runs_on_cpu and self.engine == "local":
            return machine_concurrency()
        return facts.concurrency

    def model_options(self) -> dict[str, str]:
        options = {}
        if self.simulate is not None:
            options["simulate"] = self.simulate
            if self.time_scale != 1.0:
                options["time_scale"] = str(self.time_scale)
        if self.model_path:
            options["model_path"] = self.model_path
        return options

    def validated(self) -> Settings:
        if self.output_format == "jpg":
            return replace(self, output_format="jpeg").validated()
        if self.output_format not in OUTPUT_FORMATS:
            raise ConfigError(
                f"format {self.output_format!r} is not supported: use {', '.join(OUTPUT_FORMATS)}"
            )
        if self.concurrency is not None and not 1 <= self.concurrency <= 10_000:
            raise ConfigError(f"concurrency must be between 1 and 10000, not {self.concurrency}")
        # A presigned URL signed with SigV4 is valid for at most 7 days.
        if not 1 <= self.url_expiry_seconds <= 604_800:
            raise ConfigError(
                f"url_expiry_seconds must be between 1 and 604800 (7 days), not {self.url_expiry_seconds}"
            )
        return self


def machine_concurrency(image_bytes: int = IMAGE_MEMORY_BYTES) -> int:
    """Images in flight that this machine's cores and available memory fit (at least 1).

    More images than cores makes a CPU-bound model no faster, only bigger.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, _available_memory() // image_bytes))


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name)
    return None if raw in (None, "") else _as_int(raw, name)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return default if raw in (None, "") else _as_int(raw, name)


def _as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
