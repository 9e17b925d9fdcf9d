"""A run's request, checked: what it names, its options, and the settings they give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lambdas.errors import ConfigError, ModelUnusableError
from lambdas.models import model_names
from lambdas.models.catalog import AWS_MODELS, CATALOG
from lambdas.settings import Settings
from manifests.parsing import MANIFEST_OPTIONS, Manifest

#: A request may also rehearse on a simulated Bedrock, or name an ONNX model file.
REQUEST_OPTIONS = (*MANIFEST_OPTIONS, "simulate", "time_scale", "model_path", "skip_done")
KINDS = ("prefix", "manifest", "input_key")


@dataclass(frozen=True)
class Request:
    """A request that names exactly one of ``KINDS`` and only known options."""

    kind: Literal["prefix", "manifest", "input_key"]
    target: str
    options: dict[str, Any]


def read_request(request: Any) -> Request:
    """The request, or ``ConfigError`` saying what is wrong with it."""
    if not isinstance(request, dict):
        raise ConfigError(
            "the request must be a JSON object with 'prefix', 'manifest' or 'input_key'"
        )
    named = [key for key in KINDS if request.get(key)]
    if len(named) != 1:
        raise ConfigError(
            "the request must name exactly one of 'prefix', 'manifest' or 'input_key'"
            + (f" (it names {', '.join(named)})" if named else "")
        )
    options = request.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError("'options' must be an object")
    unknown = sorted(set(options) - set(REQUEST_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown option {unknown[0]!r}; known: {', '.join(REQUEST_OPTIONS)}")
    kind = named[0]
    return Request(kind=kind, target=str(request[kind]), options=options)  # type: ignore[arg-type]


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
