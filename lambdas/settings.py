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
    concurrency: int = 8
    url_expiry_seconds: int = 3600  # the tutorial's one-hour presigned URL
    input_prefix: str = "inputs/"
    output_prefix: str = "outputs/"
    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 100_000_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        settings = cls(
            bucket=env.get("BGREMOVE_BUCKET", defaults.bucket),
            engine=env.get("BGREMOVE_ENGINE", defaults.engine),
            model=env.get("BGREMOVE_MODEL", defaults.model),
            output_format=env.get("BGREMOVE_FORMAT", defaults.output_format),
            concurrency=_int(env, "BGREMOVE_CONCURRENCY", defaults.concurrency),
            url_expiry_seconds=_int(
                env, "BGREMOVE_URL_EXPIRY_SECONDS", defaults.url_expiry_seconds
            ),
            input_prefix=env.get("BGREMOVE_INPUT_PREFIX", defaults.input_prefix),
            output_prefix=env.get("BGREMOVE_OUTPUT_PREFIX", defaults.output_prefix),
            max_bytes=_int(env, "BGREMOVE_MAX_BYTES", defaults.max_bytes),
            max_pixels=_int(env, "BGREMOVE_MAX_PIXELS", defaults.max_pixels),
        )
        return settings.validated()

    def with_options(self, options: Mapping[str, Any]) -> Settings:
        """Apply a request's or manifest's ``options`` (model, format, concurrency, url expiry)."""
        changes: dict[str, Any] = {}
        if "model" in options:
            changes["model"] = str(options["model"])
        if "format" in options:
            changes["output_format"] = str(options["format"]).lower()
        if "concurrency" in options:
            changes["concurrency"] = _as_int(options["concurrency"], "concurrency")
        if "url_expiry_seconds" in options:
            changes["url_expiry_seconds"] = _as_int(
                options["url_expiry_seconds"], "url_expiry_seconds"
            )
        return replace(self, **changes).validated()

    def validated(self) -> Settings:
        if self.output_format == "jpg":
            return replace(self, output_format="jpeg").validated()
        if self.output_format not in OUTPUT_FORMATS:
            raise ConfigError(
                f"format {self.output_format!r} is not supported: use {', '.join(OUTPUT_FORMATS)}"
            )
        if not 1 <= self.concurrency <= 10_000:
            raise ConfigError(f"concurrency must be between 1 and 10000, not {self.concurrency}")
        # A presigned URL signed with SigV4 is valid for at most 7 days.
        if not 1 <= self.url_expiry_seconds <= 604_800:
            raise ConfigError(
                f"url_expiry_seconds must be between 1 and 604800 (7 days), not {self.url_expiry_seconds}"
            )
        return self


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return default if raw in (None, "") else _as_int(raw, name)


def _as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
