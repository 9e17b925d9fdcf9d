"""Run settings from the environment, with the defaults a user would expect."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lambdas.errors import ConfigError

OUTPUT_FORMATS = ("png", "webp", "jpeg")
#: Prefixes the workflow writes; never read as inputs.
RESERVED_PREFIXES = ("runs/", "work/", "outputs/", "reports/", "cache/")


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
    input_prefix: str = "inputs/"
    output_prefix: str = "outputs/"
    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 100_000_000
    simulate: str | None = None  # a --simulate spec: the model talks to a simulated Bedrock
    time_scale: float = 1.0  # compresses the simulator's clock (tests, rehearsals)
    model_path: str | None = None  # the onnx model's file

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
        if "url_expiry_seconds" in options:
            changes["url_expiry_seconds"] = _as_int(
                options["url_expiry_seconds"], "url_expiry_seconds"
            )
        return replace(self, **changes).validated()

    def effective_concurrency(self) -> int:
        """The Map's MaxConcurrency: as asked, else what suits the model's default quota."""
        from lambdas.models.catalog import CATALOG

        if self.concurrency is not None:
            return self.concurrency
        return CATALOG[self.model].concurrency if self.model in CATALOG else 4

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
