"""Run settings: one typed model, read from ``BGREMOVE_*`` environment variables.

The Lambdas read it (``Settings.from_env``); the CDK stack writes the Lambdas' environment
from it (``Settings.environment``), and so does the local engine; the CLI's help quotes its
defaults. Every default lives here once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lambdas import layout
from lambdas.errors import ConfigError
from lambdas.imaging.output import OUTPUT_OPTIONS, OutputOptions

#: Environment variables that set a field: ``BGREMOVE_`` + the field's name in capitals.
ENV_PREFIX = "BGREMOVE_"
OUTPUT_FORMATS = ("png", "webp", "jpeg")
#: The byte cap: a 24 MP 16-bit TIFF (6000 x 4000 x 3 x 2 = 144 MB) passes. MB = 10^6 bytes,
#: as the README and every message say.
MAX_BYTES = 200_000_000
#: The pixel cap: a 108 MP phone photo passes; 200 MP is what a model copy's bounded
#: decode and the full-resolution cutout are sized for.
MAX_PIXELS = 200_000_000
#: A presigned URL signed with SigV4 is valid for at most 7 days.
MAX_URL_EXPIRY_SECONDS = 604_800
MAX_CONCURRENCY = 10_000
#: Where boto3 clients go when neither ``AWS_REGION`` nor ``AWS_DEFAULT_REGION`` says.
DEFAULT_REGION = "us-east-1"


def aws_region(environ: Mapping[str, str] | None = None) -> str:
    """The region AWS clients use: Lambda's ``AWS_REGION``, the CLI's default, or us-east-1."""
    env = os.environ if environ is None else environ
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


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


class Settings(BaseModel):
    """Everything a run needs to know that is not in its request.

    Attributes
    ----------
    input_prefix
        Keys a run may read sources from (``""`` = the whole bucket except the
        reserved prefixes, as in local runs).
    concurrency
        The Map's MaxConcurrency; ``None``: what suits the model (``effective_concurrency``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: str = ""
    engine: Literal["aws", "local"] = "aws"
    model: str = "local"
    output_format: str = "png"
    concurrency: int | None = None
    url_expiry_seconds: int = 3600  # the tutorial's one-hour presigned URL
    input_prefix: str = layout.INPUTS
    output_prefix: str = layout.OUTPUTS
    max_bytes: int = MAX_BYTES
    max_pixels: int = MAX_PIXELS
    simulate: str | None = None  # a --simulate spec: the model talks to a simulated Bedrock
    time_scale: float = 1.0  # compresses the simulator's clock (tests, rehearsals)
    # The onnx model: its file, and what its file does not say (lambdas.models.factories).
    model_path: str | None = None
    onnx_input_size: int | None = None
    onnx_normalize: str | None = None
    onnx_output: str | None = None
    # Local runs: the folder sources are read from, --out, the mask cache (see LocalPaths).
    local_root: str | None = None
    local_out: str | None = None
    local_cache: str | None = None
    local_label: str | None = None  # how a single-image run names its source
    # mask / bg_color / crop / margin / max_size (lambdas.imaging.output), as set
    output_options: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings ``BGREMOVE_*`` variables give.

        An empty variable is unset, except for text fields (``BGREMOVE_INPUT_PREFIX=""``
        means the whole bucket).
        """
        env = os.environ if environ is None else environ
        fields = Settings.model_fields
        given = {
            name: env[variable]
            for name, variable in env_names().items()
            if variable in env and (env[variable] != "" or isinstance(fields[name].default, str))
        }
        return _build(given).validated()

    def environment(self) -> dict[str, str]:
        """The ``BGREMOVE_*`` variables that give these settings to ``from_env``.

        Only fields set explicitly are written (``None`` as an empty variable), so a default
        changed here reaches every deployed function and local run without an edit elsewhere.
        """
        names = env_names()
        values = self.model_dump(exclude_unset=True, exclude={"output_options"})
        return {names[name]: "" if value is None else str(value) for name, value in values.items()}

    def with_options(self, options: Mapping[str, Any]) -> Settings:
        """Apply a request's or manifest's ``options`` (model, format, concurrency, url expiry)."""
        changes: dict[str, Any] = {}
        if "model" in options:
            changes["model"] = str(options["model"])
        if "format" in options:
            changes["output_format"] = str(options["format"]).lower()
        for name in ("concurrency", "url_expiry_seconds"):
            if name in options:
                changes[name] = options[name]
        if options.get("simulate") is not None:
            from lambdas.models.simulated_bedrock import parse_spec

            parse_spec(str(options["simulate"]))  # refuse a bad spec before any work
            changes["simulate"] = str(options["simulate"])
        for name in ("time_scale", "model_path", *_ONNX_OPTIONS):
            if options.get(name) not in (None, ""):
                changes[name] = options[name]
        given = {name: options[name] for name in OUTPUT_OPTIONS if name in options}
        if given:
            merged = {**self.output_options, **given}
            changes["output_options"] = OutputOptions.from_options(merged).to_dict()
        current = self.model_dump(exclude_unset=True)
        return _build({**current, **changes}).validated()

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
        """What the model factory needs beyond the model's name (``lambdas.models.factories``)."""
        options = {}
        if self.simulate is not None:
            options["simulate"] = self.simulate
            if self.time_scale != 1.0:
                options["time_scale"] = str(self.time_scale)
        for name in ("model_path", *_ONNX_OPTIONS):
            value = getattr(self, name)
            if value is not None:
                options[name] = str(value)
        return options

    def validated(self) -> Settings:
        """These settings, or ``ConfigError`` naming the value that is out of range."""
        if self.output_format == "jpg":
            return self.model_copy(update={"output_format": "jpeg"}).validated()
        if self.output_format not in OUTPUT_FORMATS:
            raise ConfigError(
                f"format {self.output_format!r} is not supported: use {', '.join(OUTPUT_FORMATS)}"
            )
        if self.concurrency is not None and not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ConfigError(
                f"concurrency must be between 1 and {MAX_CONCURRENCY}, not {self.concurrency}"
            )
        if not 1 <= self.url_expiry_seconds <= MAX_URL_EXPIRY_SECONDS:
            raise ConfigError(
                f"url_expiry_seconds must be between 1 and {MAX_URL_EXPIRY_SECONDS} (7 days), "
                f"not {self.url_expiry_seconds}"
            )
        return self


_ONNX_OPTIONS = ("onnx_input_size", "onnx_normalize", "onnx_output")


def env_names() -> dict[str, str]:
    """Each field read from the environment, and its variable (``output_options`` is not)."""
    return {
        name: f"{ENV_PREFIX}{name.upper()}"
        for name in Settings.model_fields
        if name != "output_options"
    }


def _build(values: Mapping[str, Any]) -> Settings:
    """``Settings(**values)``, with pydantic's complaints as ``ConfigError`` in our words."""
    try:
        return Settings(**values)
    except ValidationError as error:
        problem = error.errors()[0]
        name = str(problem["loc"][0]) if problem["loc"] else "settings"
        raise ConfigError(_complaint(name, problem)) from None


def _complaint(name: str, problem: Mapping[str, Any]) -> str:
    value = problem.get("input")
    if problem["type"].startswith("int_"):
        return f"{name} must be a whole number, not {value!r}"
    if problem["type"].startswith("float_"):
        return f"{name} must be a number, not {value!r}"
    if problem["type"] == "literal_error":
        return f"{name} {value!r} is not one of: {problem['ctx']['expected']}"
    return f"{name} {value!r}: {problem['msg']}"


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
