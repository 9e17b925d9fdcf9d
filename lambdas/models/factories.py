"""How each model in the registry (``lambdas.models.catalog``) is made.

Every factory takes the model's ``ModelFacts`` and keyword options: ``simulate`` (a
``--simulate`` spec: the real adapter talks to ``SimulatedBedrockRuntime`` instead
of Bedrock), ``time_scale`` (compresses the simulator's clock), ``region``,
``client`` (an injected bedrock-runtime client) and, for ``onnx``, ``model_path``,
``onnx_input_size``, ``onnx_normalize`` (``imagenet``, ``unit`` or ``m,m,m/s,s,s``)
and ``onnx_output`` (``Settings.model_options`` gives them, from a run's options or
``BGREMOVE_MODEL_PATH`` / ``BGREMOVE_ONNX_*``). Adapters are imported inside the
factories so a run pays only for the model it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdas.errors import ConfigError

if TYPE_CHECKING:
    from lambdas.models.base import BackgroundModel
    from lambdas.models.catalog import ModelFacts


def local(facts: ModelFacts, **options: Any) -> BackgroundModel:
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


def titan(facts: ModelFacts, **options: Any) -> BackgroundModel:
    from lambdas.models.titan import TitanBackgroundRemoval

    return TitanBackgroundRemoval(
        facts.name, client=_bedrock_client(options), region=options.get("region")
    )


def stability(facts: ModelFacts, **options: Any) -> BackgroundModel:
    from lambdas.models.stability import StabilityRemoveBackground

    return StabilityRemoveBackground(client=_bedrock_client(options), region=options.get("region"))


def onnx(facts: ModelFacts, **options: Any) -> BackgroundModel:
    from lambdas.models.onnx_matting import OnnxMattingModel

    size = options.get("onnx_input_size")
    try:
        input_size = int(size) if size else None
    except ValueError:
        raise ConfigError(f"onnx input_size must be a whole number, not {size!r}") from None
    return OnnxMattingModel(
        options.get("model_path"),
        input_size=input_size,
        normalize=options.get("onnx_normalize") or facts.defaults.get("normalize", "imagenet"),
        output=options.get("onnx_output"),
    )


def pretrained(facts: ModelFacts, **options: Any) -> BackgroundModel:
    """A rembg model: its weights (fetched on first use) run with the registry's defaults."""
    from lambdas.models.onnx_matting import OnnxMattingModel
    from lambdas.models.pretrained import ensure_weights

    assert facts.weights is not None, facts.name
    path = ensure_weights(facts.name, facts.weights, progress=False)
    model = OnnxMattingModel(str(path), **facts.defaults)
    model.name = facts.name
    model.limits = facts.limits
    return model
