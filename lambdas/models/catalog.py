"""Facts about each model, in one place: ids, regions, limits, lifecycle, quota, price.

Sources: the Bedrock model cards and pricing pages as of 2026-11 (see DESIGN.md).
Prices are us-east-1 list prices per image, used by ``bgremove estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lambdas.models.base import ModelLimits


@dataclass(frozen=True)
class ModelFacts:
    """What bgremove needs to know about one model.

    Attributes
    ----------
    model_id
        What ``InvokeModel`` is called with (an inference profile id for Stability).
    foundation_model_id
        What ``GetFoundationModel`` takes (the profile's underlying model).
    regions
        Regions where the model (or profile) can be invoked.
    lifecycle
        AWS's status as last known: ``ACTIVE`` or ``LEGACY``.
    end_of_life
        The end-of-life date AWS announced, if any.
    concurrency
        Default Map concurrency that fits the model's default Bedrock quota.
    """

    name: str
    model_id: str | None
    foundation_model_id: str | None
    regions: tuple[str, ...]
    limits: ModelLimits
    lifecycle: str = "ACTIVE"
    end_of_life: date | None = None
    concurrency: int = 4
    price_per_image: float = 0.0
    profile_regions: tuple[str, ...] = ()


TITAN_LIMITS = ModelLimits(
    max_side=1408, min_side=64, max_pixels=None, aspect_range=(5 / 11, 11 / 5), input_format="PNG"
)
STABILITY_LIMITS = ModelLimits(
    max_side=3072,
    min_side=64,
    max_pixels=9_437_184,
    aspect_range=(1 / 2.5, 2.5),
    input_format="PNG",
)

CATALOG: dict[str, ModelFacts] = {
    "titan-v2": ModelFacts(
        name="titan-v2",
        model_id="amazon.titan-image-generator-v2:0",
        foundation_model_id="amazon.titan-image-generator-v2:0",
        regions=("us-east-1", "us-west-2"),
        limits=TITAN_LIMITS,
        lifecycle="LEGACY",
        end_of_life=date(2026, 6, 30),
        concurrency=2,
        price_per_image=0.01,
    ),
    "nova-canvas": ModelFacts(
        name="nova-canvas",
        model_id="amazon.nova-canvas-v1:0",
        foundation_model_id="amazon.nova-canvas-v1:0",
        regions=("us-east-1", "eu-west-1", "ap-northeast-1"),
        limits=TITAN_LIMITS,
        lifecycle="LEGACY",
        concurrency=2,
        price_per_image=0.04,
    ),
    "stability": ModelFacts(
        name="stability",
        model_id="us.stability.stable-image-remove-background-v1:0",
        foundation_model_id="stability.stable-image-remove-background-v1:0",
        regions=("us-east-1", "us-east-2", "us-west-2"),
        profile_regions=("us-east-1", "us-east-2", "us-west-2"),
        limits=STABILITY_LIMITS,
        concurrency=4,
        price_per_image=0.07,
    ),
    "local": ModelFacts(
        name="local",
        model_id=None,
        foundation_model_id=None,
        regions=(),
        limits=ModelLimits(max_side=1024),
        concurrency=8,
    ),
    "onnx": ModelFacts(
        name="onnx",
        model_id=None,
        foundation_model_id=None,
        regions=(),
        limits=ModelLimits(max_side=1024),
        concurrency=4,
    ),
}

BEDROCK_MODELS = tuple(name for name, facts in CATALOG.items() if facts.model_id)


def facts(name: str) -> ModelFacts:
    return CATALOG[name]
