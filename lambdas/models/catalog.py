"""Facts about each model, in one place: ids, regions, limits, lifecycle, quota, price.

Sources: DESIGN.md and the Bedrock model cards and pricing pages as of 2026-11.
Prices are us-east-1 list prices per image, used by ``bgremove estimate``. The
lifecycle here is what was last known; preflight asks AWS (``GetFoundationModel``)
and AWS's answer wins when it is stricter.

Quotas: Bedrock's default requests-per-minute quota differs by account and region,
so the catalog names the quota (search Service Quotas → Amazon Bedrock for
``quota_search``) instead of guessing its value. ``concurrency`` is a default Map
MaxConcurrency small enough for a new account's quota; after raising the quota,
``suggested_concurrency(rpm, seconds_per_image)`` gives the concurrency that
keeps it busy.
"""

from __future__ import annotations

import math
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
    price_per_image
        us-east-1 list price in USD for one background removal.
    profile_regions
        For an inference profile: the regions it routes to (IAM must allow each).
    quota_search
        What to type in Service Quotas (Amazon Bedrock) to find the model's
        requests-per-minute quota.
    runs_on_cpu
        The model computes on this machine: a local run's default concurrency is
        what its cores and memory fit (``lambdas.settings.machine_concurrency``).
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
    quota_search: str = ""
    runs_on_cpu: bool = False


# The 64 px floor is bgremove's: a smaller image is not worth a paid call.
# Every Bedrock model here accepts JPEG: a detailed 3072 x 3072 copy is ~7 MB as JPEG
# (quality 95) but ~25 MB as PNG, whose base64 alone passes InvokeModel's body limit.
TITAN_LIMITS = ModelLimits(
    max_side=1408, min_side=64, max_pixels=None, aspect_range=(5 / 11, 11 / 5), input_format="JPEG"
)
# 3072 px keeps the upload small; the model's own cap is the pixel count.
STABILITY_LIMITS = ModelLimits(
    max_side=3072,
    min_side=64,
    max_pixels=9_437_184,
    aspect_range=(1 / 2.5, 2.5),
    input_format="JPEG",
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
        quota_search="Titan Image Generator G1 V2",
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
        quota_search="Nova Canvas",
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
        quota_search="Stable Image Remove Background",
    ),
    "local": ModelFacts(
        name="local",
        model_id=None,
        foundation_model_id=None,
        regions=(),
        limits=ModelLimits(max_side=1024),
        concurrency=8,
        runs_on_cpu=True,
    ),
    "onnx": ModelFacts(
        name="onnx",
        model_id=None,
        foundation_model_id=None,
        regions=(),
        limits=ModelLimits(max_side=1024),
        concurrency=4,
        runs_on_cpu=True,
    ),
}

BEDROCK_MODELS = tuple(name for name, facts in CATALOG.items() if facts.model_id)


def facts(name: str) -> ModelFacts:
    """The facts about model ``name`` (``KeyError`` if bgremove has no such model)."""
    return CATALOG[name]


def suggested_concurrency(rpm: int, seconds_per_image: float) -> int:
    """Map concurrency that keeps a quota of ``rpm`` busy without exceeding it.

    Each call holds a slot for ``seconds_per_image``, so ``rpm / 60`` calls a second
    need ``rpm / 60 * seconds_per_image`` calls in flight (Little's law).
    """
    if rpm <= 0 or seconds_per_image <= 0:
        raise ValueError("rpm and seconds_per_image must be positive")
    return max(1, math.floor(rpm / 60 * seconds_per_image))
