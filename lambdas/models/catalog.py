"""The model registry: one entry per model, every fact about it in one place.

Each ``ModelFacts`` entry gives the model's name, the engines it runs on, its
limits, the factory that makes it (``lambdas.models.factories``) with the
factory's defaults, its weights' licence and, for Bedrock models, ids, regions,
lifecycle, quota and price; a pretrained model names its weights file, download
location and checksum. ``--model`` (choices and help), Plan's checks, preflight,
the stack, the estimate and the simulated Bedrock all read this registry.

Sources: DESIGN.md and the Bedrock model cards and pricing pages as of 2026-11;
the pretrained models' facts are rembg's own (``danielgatis/rembg`` at commit
684f8e9, 2026-07-18, ``rembg/sessions/*.py``; each entry names its file).
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from lambdas.models import factories
from lambdas.models.base import ModelLimits
from lambdas.models.pretrained import PretrainedWeights

#: The engines a model can run on: ``local`` (``bgremove run``) and ``aws`` (the stack).
ENGINES = ("local", "aws")


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
    engines
        Where it runs (``ENGINES``): the AWS engine's Lambda bundle carries the
        Bedrock adapters only.
    factory
        Makes the model: ``factory(facts, **options)`` (``lambdas.models.factories``).
    defaults
        Keyword options the factory applies (a pretrained model's input size and
        normalisation, as rembg gives them).
    licence
        The licence of the model's weights (or the service terms that govern it).
    summary
        One line for ``--model``'s help.
    weights
        A pretrained model's ONNX file: where it comes from and its checksum.
    """

    name: str
    model_id: str | None
    foundation_model_id: str | None
    regions: tuple[str, ...]
    limits: ModelLimits
    factory: Callable[..., Any]
    engines: tuple[str, ...]
    licence: str
    summary: str
    lifecycle: str = "ACTIVE"
    end_of_life: date | None = None
    concurrency: int = 4
    price_per_image: float = 0.0
    profile_regions: tuple[str, ...] = ()
    quota_search: str = ""
    runs_on_cpu: bool = False
    defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    weights: PretrainedWeights | None = None


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

BEDROCK_TERMS = "AWS Service Terms (Amazon Bedrock) and the model provider's EULA"
#: The model-sized copy a pretrained model is sent (its input is 320² or 1024²).
PRETRAINED_LIMITS = ModelLimits(max_side=1024)
REMBG_RELEASE = "https://github.com/danielgatis/rembg/releases/download/v0.0.0/"


def _birefnet(name: str, *, source: str, url_file: str, md5: str, summary: str) -> ModelFacts:
    """A BiRefNet model: rembg runs every one at 1024², ImageNet normalisation, sigmoid."""
    return _rembg(
        name,
        source=source,
        url_file=url_file,
        md5=md5,
        input_size=1024,
        normalize=IMAGENET,
        sigmoid=True,
        licence=BIREFNET_LICENCE,
        summary=summary,
    )


def _rembg(
    name: str,
    *,
    source: str,
    url_file: str,
    md5: str,
    input_size: int,
    normalize: str,
    sigmoid: bool,
    licence: str,
    summary: str,
) -> ModelFacts:
    """A pretrained model exactly as rembg runs it (``source`` is rembg's session file).

    rembg resizes with LANCZOS to the input size, divides by the image's own
    maximum, normalises with ``normalize``, applies a sigmoid only where its session
    does, and min-max stretches the output (rembg's base session, its ``normalize``).
    """
    return ModelFacts(
        name=name,
        model_id=None,
        foundation_model_id=None,
        regions=(),
        limits=PRETRAINED_LIMITS,
        factory=factories.pretrained,
        engines=("local",),
        licence=licence,
        summary=summary,
        concurrency=2,
        runs_on_cpu=True,
        defaults=MappingProxyType(
            {
                "input_size": input_size,
                "normalize": normalize,
                "sigmoid": sigmoid,
                "divide_by_max": True,
                "resample": "lanczos",
            }
        ),
        weights=PretrainedWeights(
            file_name=f"{name}.onnx",
            url=REMBG_RELEASE + url_file,
            md5=md5,
            source=f"danielgatis/rembg rembg/sessions/{source}",
        ),
    )


U2NET_LICENCE = "Apache-2.0 (U²-Net, xuebinqin/U-2-Net)"
BIREFNET_LICENCE = "MIT (BiRefNet, ZhengPeng7/BiRefNet)"
# ImageNet mean/std, as rembg's u2net and birefnet sessions give them.
IMAGENET = "0.485,0.456,0.406/0.229,0.224,0.225"

CATALOG: dict[str, ModelFacts] = {
    "titan-v2": ModelFacts(
        name="titan-v2",
        model_id="amazon.titan-image-generator-v2:0",
        foundation_model_id="amazon.titan-image-generator-v2:0",
        regions=("us-east-1", "us-west-2"),
        limits=TITAN_LIMITS,
        factory=factories.titan,
        engines=ENGINES,
        licence=BEDROCK_TERMS,
        summary="Amazon Titan Image Generator v2 on Bedrock (the tutorial's; end of life)",
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
        factory=factories.titan,
        engines=ENGINES,
        licence=BEDROCK_TERMS,
        summary="Amazon Nova Canvas on Bedrock (Legacy)",
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
        factory=factories.stability,
        engines=ENGINES,
        licence=BEDROCK_TERMS,
        summary="Stability AI Stable Image Remove Background on Bedrock",
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
        factory=factories.local,
        engines=("local",),
        licence="bgremove's own (OpenCV, no weights)",
        summary="offline OpenCV segmentation, no download (the default)",
        concurrency=8,
        runs_on_cpu=True,
    ),
    "onnx": ModelFacts(
        name="onnx",
        model_id=None,
        foundation_model_id=None,
        regions=(),
        limits=ModelLimits(max_side=1024),
        factory=factories.onnx,
        engines=("local",),
        licence="the user's own model file: its licence is the user's to check",
        summary="your own ONNX matting model (--model-path)",
        concurrency=4,
        runs_on_cpu=True,
    ),
    # rembg/sessions/u2netp.py: 320², ImageNet, no sigmoid.
    "u2netp": _rembg(
        "u2netp",
        source="u2netp.py",
        url_file="u2netp.onnx",
        md5="8e83ca70e441ab06c318d82300c84806",
        input_size=320,
        normalize=IMAGENET,
        sigmoid=False,
        licence=U2NET_LICENCE,
        summary="U²-Net small, fast (rembg's)",
    ),
    # rembg/sessions/u2net.py: 320², ImageNet, no sigmoid.
    "u2net": _rembg(
        "u2net",
        source="u2net.py",
        url_file="u2net.onnx",
        md5="60024c5c889badc19c04ad937298a77b",
        input_size=320,
        normalize=IMAGENET,
        sigmoid=False,
        licence=U2NET_LICENCE,
        summary="U²-Net (rembg's)",
    ),
    # rembg/sessions/dis_general_use.py: 1024², mean 0.5 std 1.0, no sigmoid.
    "isnet-general-use": _rembg(
        "isnet-general-use",
        source="dis_general_use.py",
        url_file="isnet-general-use.onnx",
        md5="fc16ebd8b0c10d971d3513d564d01e29",
        input_size=1024,
        normalize="0.5,0.5,0.5/1.0,1.0,1.0",
        sigmoid=False,
        # xuebinqin/DIS README, "Term of Use": code Apache-2.0; the DIS5K training set
        # has terms of its own (DIS5K-Dataset-Terms-of-Use.pdf).
        licence="Apache-2.0 (DIS / IS-Net, xuebinqin/DIS; DIS5K data has its own terms)",
        summary="IS-Net general use (rembg's)",
    ),
    # rembg/sessions/birefnet_general.py: 1024², ImageNet, sigmoid on the output.
    "birefnet-general": _birefnet(
        "birefnet-general",
        source="birefnet_general.py",
        url_file="BiRefNet-general-epoch_244.onnx",
        md5="7a35a0141cbbc80de11d9c9a28f52697",
        summary="BiRefNet general (slow on CPU)",
    ),
    # rembg/sessions/birefnet_general_lite.py (a BiRefNetSessionGeneral).
    "birefnet-general-lite": _birefnet(
        "birefnet-general-lite",
        source="birefnet_general_lite.py",
        url_file="BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx",
        md5="4fab47adc4ff364be1713e97b7e66334",
        summary="BiRefNet general, Swin-tiny backbone (lighter)",
    ),
    # rembg/sessions/birefnet_portrait.py (a BiRefNetSessionGeneral).
    "birefnet-portrait": _birefnet(
        "birefnet-portrait",
        source="birefnet_portrait.py",
        url_file="BiRefNet-portrait-epoch_150.onnx",
        md5="c3a64a6abf20250d090cd055f12a3b67",
        summary="BiRefNet for portraits",
    ),
    # rembg/sessions/birefnet_dis.py (a BiRefNetSessionGeneral).
    "birefnet-dis": _birefnet(
        "birefnet-dis",
        source="birefnet_dis.py",
        url_file="BiRefNet-DIS-epoch_590.onnx",
        md5="2d4d44102b446f33a4ebb2e56c051f2b",
        summary="BiRefNet trained on DIS5K (fine structures)",
    ),
    # rembg/sessions/birefnet_hrsod.py (a BiRefNetSessionGeneral).
    "birefnet-hrsod": _birefnet(
        "birefnet-hrsod",
        source="birefnet_hrsod.py",
        url_file="BiRefNet-HRSOD_DHU-epoch_115.onnx",
        md5="c017ade5de8a50ff0fd74d790d268dda",
        summary="BiRefNet for high-resolution salient objects",
    ),
}

BEDROCK_MODELS = tuple(name for name, facts in CATALOG.items() if facts.model_id)
#: Models the AWS engine's Lambdas can load.
AWS_MODELS = tuple(name for name, facts in CATALOG.items() if "aws" in facts.engines)
PRETRAINED_MODELS = tuple(name for name, facts in CATALOG.items() if facts.weights)


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
