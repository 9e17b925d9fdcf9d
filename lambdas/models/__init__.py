"""Background-removal models behind one interface (see ``base.BackgroundModel``).

Every factory takes keyword options: ``simulate`` (a ``--simulate`` spec: the real
adapter talks to ``SimulatedBedrockRuntime`` instead of Bedrock), ``time_scale``
(compresses the simulator's clock), ``region``, ``client`` (an injected
bedrock-runtime client) and, for ``onnx``, ``model_path``, ``onnx_input_size``,
``onnx_normalize`` (``imagenet``, ``unit`` or ``m,m,m/s,s,s``) and ``onnx_output``
(each also read from ``BGREMOVE_ONNX_MODEL`` / ``BGREMOVE_ONNX_INPUT_SIZE`` / …).
"""

from __future__ import annotations

from typing import Any

from lambdas.errors import ConfigError, ModelUnusableError
from lambdas.models.base import BackgroundModel, ModelLimits

__all__ = ["BackgroundModel", "ModelLimits", "get_model", "model_names"]


def _local(**options: Any) -> BackgroundModel:
    from lambdas.models.local import LocalModel

    return LocalModel()


def _bedrock_client(options: dict[str, Any]) -> Any:
    if options.get("client") is not None:
        return options["client"]
    if options.get("simulate") is not None:
        from lambdas.models import simulated_bedrock

        return simulated_bedrock.shared(
            options["simulate"], time_scale=float(options.get("time_scale") or 1.0)
        )
    return None  # the adapter makes a real bedrock-runtime client when first used


def _titan(name: str) -> Any:
    def factory(**options: Any) -> BackgroundModel:
        from lambdas.models.titan import TitanBackgroundRemoval

        return TitanBackgroundRemoval(
            name, client=_bedrock_client(options), region=options.get("region")
        )

    return factory


def _stability(**options: Any) -> BackgroundModel:
    from lambdas.models.stability import StabilityRemoveBackground

    return StabilityRemoveBackground(client=_bedrock_client(options), region=options.get("region"))


def _onnx(**options: Any) -> BackgroundModel:
    import os

    from lambdas.models.onnx_matting import OnnxMattingModel

    def option(name: str) -> Any:
        return options.get(f"onnx_{name}") or os.environ.get(f"BGREMOVE_ONNX_{name.upper()}")

    size = option("input_size")
    try:
        input_size = int(size) if size else None
    except ValueError:
        raise ConfigError(f"onnx input_size must be a whole number, not {size!r}") from None
    return OnnxMattingModel(
        options.get("model_path"),
        input_size=input_size,
        normalize=option("normalize") or "imagenet",
        output=option("output"),
    )


# Factories import lazily so a run pays only for the model it uses.
_FACTORIES = {
    "local": _local,
    "titan-v2": _titan("titan-v2"),
    "nova-canvas": _titan("nova-canvas"),
    "stability": _stability,
    "onnx": _onnx,
}


def model_names() -> list[str]:
    """Return the names accepted by ``--model``."""
    return sorted(_FACTORIES)


def get_model(name: str, **options: Any) -> BackgroundModel:
    """Return the model called ``name``.

    Raises
    ------
    ModelUnusableError
        If no model has that name.
    """
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ModelUnusableError(
            f"unknown model {name!r}: choose one of {', '.join(model_names())}"
        ) from None
    return factory(**options)
