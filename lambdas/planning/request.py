"""A run's request, checked: what it names, its options, and the settings they give."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lambdas.errors import ConfigError, ModelUnusableError
from lambdas.models import model_names
from lambdas.models.catalog import AWS_MODELS, CATALOG
from lambdas.settings import Settings
from manifests.parsing import MANIFEST_OPTIONS, Manifest

#: A request may also rehearse on a simulated Bedrock, or name an ONNX model file.
REQUEST_OPTIONS = (*MANIFEST_OPTIONS, "simulate", "time_scale", "model_path", "skip_done")
Kind = Literal["prefix", "manifest", "input_key"]
KINDS: tuple[Kind, ...] = ("prefix", "manifest", "input_key")


class Request(BaseModel):
    """A run's request: exactly one of ``KINDS``, and options from ``REQUEST_OPTIONS``.

    Other top-level keys are ignored, as they always were (a caller may add its own).
    """

    model_config = ConfigDict(frozen=True)

    prefix: str | None = None
    manifest: str | None = None
    input_key: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def kind(self) -> Kind:
        """Which of ``KINDS`` the request names (``read_request`` checks there is one)."""
        return next(kind for kind in KINDS if getattr(self, kind))

    @property
    def target(self) -> str:
        """The prefix URI, the manifest URI or the key."""
        return str(getattr(self, self.kind))


def read_request(request: Any) -> Request:
    """The request, or ``ConfigError`` saying what is wrong with it."""
    if not isinstance(request, dict):
        raise ConfigError(
            "the request must be a JSON object with 'prefix', 'manifest' or 'input_key'"
        )
    try:
        asked = Request.model_validate({**request, "options": request.get("options") or {}})
    except ValidationError as error:
        problem = error.errors()[0]
        name = problem["loc"][0]
        wanted = "an object" if name == "options" else "a string"
        raise ConfigError(f"{name!r} must be {wanted}, not {problem['input']!r}") from None
    named = [kind for kind in KINDS if getattr(asked, kind)]
    if len(named) != 1:
        raise ConfigError(
            "the request must name exactly one of 'prefix', 'manifest' or 'input_key'"
            + (f" (it names {', '.join(named)})" if named else "")
        )
    unknown = sorted(set(asked.options) - set(REQUEST_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown option {unknown[0]!r}; known: {', '.join(REQUEST_OPTIONS)}")
    return asked


def run_settings(settings: Settings, request: Request, manifest: Manifest | None) -> Settings:
    """The deployment's settings, then the manifest's options, then the request's.

    Raises
    ------
    ConfigError, ModelUnusableError
        A bad option, an unknown model or one this engine cannot run.
    """
    if manifest is not None:
        settings = settings.with_options(manifest.options)
    settings = settings.with_options(request.options)
    if settings.model not in model_names():
        raise ModelUnusableError.unknown(settings.model, model_names())
    check_model_runs_on_engine(settings)
    return settings


def check_model_runs_on_engine(settings: Settings) -> None:
    """Refuse, before any work, a model the engine cannot run (the registry's ``engines``).

    The Lambda bundle carries the Bedrock adapters only: ``local`` (OpenCV), ``onnx``
    and the pretrained models (onnxruntime) are not in it, so on AWS every item
    would fail with ``ModuleNotFoundError``. The local engine runs them all.

    Raises
    ------
    ModelUnusableError
        For a model whose registry entry does not list the run's engine.
    """
    engine = "local" if settings.engine == "local" else "aws"
    if engine in CATALOG[settings.model].engines:
        return
    raise ModelUnusableError(
        f"model {settings.model!r} runs only on the local engine (bgremove run): "
        f"the AWS engine's Lambdas cannot load it; choose one of {', '.join(AWS_MODELS)}"
    )
