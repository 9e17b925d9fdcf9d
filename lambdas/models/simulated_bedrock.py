"""A stand-in for bedrock-runtime that answers in each model's real wire format.

``--simulate "throttle=0.3,fail=0.05,error=0.02,latency_ms=50,rpm=600,seed=7"`` runs
the real adapters (their request building and response parsing) against this
object instead of Bedrock: free rehearsals, tests and benchmarks. Faults are raised
exactly as boto3 raises them (the service's modeled ``ClientError`` subclasses, with
the same ``response`` dict and operation name), so the adapters' error
classification runs too.

Spec keys (comma-separated ``key=value``, all optional):

* ``throttle=P`` — probability of a ``ThrottlingException`` (429), answered at once.
* ``fail=P`` — probability of a permanent refusal by the content filter: a
  ``ValidationException`` from Titan / Nova, a ``Filter reason: input image``
  finish reason from Stability (each model's own way of refusing).
* ``error=P`` — probability of a ``ServiceUnavailableException`` (503).
* ``latency_ms=N`` — time each answered call takes (through the injected ``sleep``).
* ``rpm=N`` — a requests-per-minute quota; calls above it are throttled.
* ``seed=N`` — seeds the fault draws.

Determinism: a call's fault is drawn from ``random.Random(f"{seed}:{digest}:{n}")``,
where ``digest`` identifies the request's image and ``n`` counts earlier requests
for that image. An item therefore meets the same faults on every run with the same
seed, whatever order the engine's threads send the items in. Only ``rpm`` depends on
timing (it is a quota, not a draw).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from botocore.response import StreamingBody
from PIL import Image, ImageFilter, UnidentifiedImageError

from lambdas.errors import ConfigError
from lambdas.models import factories
from lambdas.models.bedrock import MAX_BODY_BYTES
from lambdas.models.catalog import CATALOG

SPEC_DEFAULTS: dict[str, float] = {
    "throttle": 0.0,
    "fail": 0.0,
    "error": 0.0,
    "latency_ms": 0,
    "rpm": 0,
    "seed": 0,
}
_PROBABILITIES = ("throttle", "error", "fail")
_WHOLE_NUMBERS = ("latency_ms", "rpm", "seed")

# Model ids and limits come from the registry (lambdas.models.catalog): the limits
# Bedrock enforces on the request (DESIGN.md), so a Resize bug shows up in simulated
# runs as the ValidationException the real service would send.
TITAN_IDS = tuple(facts.model_id for facts in CATALOG.values() if facts.factory is factories.titan)
STABILITY_IDS = (CATALOG["stability"].model_id, CATALOG["stability"].foundation_model_id)
TITAN_MAX_SIDE = CATALOG["titan-v2"].limits.max_side
TITAN_MAX_BYTES = 5 * 1024 * 1024
STABILITY_MIN_SIDE = CATALOG["stability"].limits.min_side
STABILITY_MAX_PIXELS: int = CATALOG["stability"].limits.max_pixels or 0
STABILITY_ASPECT: tuple[float, float] = CATALOG["stability"].limits.aspect_range or (0.0, 0.0)


def parse_spec(spec: str | dict) -> dict[str, float]:
    """``"throttle=0.3,seed=7"`` → ``{"throttle": 0.3, "seed": 7, ...defaults}``.

    Raises
    ------
    ConfigError
        For an unknown key, a value that is not a number, a probability outside
        0..1, probabilities adding up to more than 1, or a negative count.
    """
    values: dict[str, Any] = dict(SPEC_DEFAULTS)
    if isinstance(spec, dict):
        pairs = list(spec.items())
    else:
        pairs = []
        for part in filter(None, (piece.strip() for piece in spec.split(","))):
            key, equals, value = part.partition("=")
            if not equals:
                raise ConfigError(f"--simulate: expected key=value, got {part!r}")
            pairs.append((key.strip(), value.strip()))
    for key, value in pairs:
        if key not in SPEC_DEFAULTS:
            raise ConfigError(f"--simulate: unknown key {key!r}; known: {', '.join(SPEC_DEFAULTS)}")
        kind = int if key in _WHOLE_NUMBERS else float
        try:
            values[key] = kind(value)
        except (TypeError, ValueError):
            noun = "a whole number" if kind is int else "a number"
            raise ConfigError(f"--simulate: {key} must be {noun}, not {value!r}") from None
        if key in _PROBABILITIES and not 0.0 <= values[key] <= 1.0:
            raise ConfigError(f"--simulate: {key} is a probability between 0 and 1, not {value}")
        if key in ("latency_ms", "rpm") and values[key] < 0:
            raise ConfigError(f"--simulate: {key} cannot be negative, not {value}")
    if sum(values[key] for key in _PROBABILITIES) > 1.0 + 1e-9:
        raise ConfigError("--simulate: throttle + fail + error add up to more than 1")
    return values


@functools.cache
def _modeled_exceptions() -> Any:
    """bedrock-runtime's exception classes, as a boto3 client's ``.exceptions`` has them."""
    import botocore.session
    from botocore.errorfactory import ClientExceptionsFactory

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    return ClientExceptionsFactory().create_client_exceptions(model)


def _metadata(status: int, headers: dict[str, str]) -> dict:
    request_id = str(uuid.uuid4())
    return {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id, **headers},
        "RetryAttempts": 0,
    }


def client_error(code: str, message: str, status: int) -> Exception:
    """The exception boto3's bedrock-runtime client (retries off) raises for ``code``."""
    metadata = _metadata(
        status,
        {
            "content-type": "application/json",
            "x-amzn-errortype": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        },
    )
    response = {
        "Error": {"Message": message, "Code": code},
        "ResponseMetadata": {**metadata, "MaxAttemptsReached": True},
        "message": message,
    }
    return _modeled_exceptions().from_code(code)(response, "InvokeModel")


def _invalid(message: str) -> Exception:
    return client_error("ValidationException", message, 400)


class SimulatedBedrockRuntime:
    """Behaves like ``boto3.client("bedrock-runtime")`` for the image models bgremove uses.

    Parameters
    ----------
    spec
        A ``--simulate`` spec string or dict (see the module docstring).
    time_scale
        Multiplies latency sleeps and divides the quota clock: 0.01 runs a minute of
        simulated quota in 0.6 s of wall time, for tests and benchmarks.
    clock, sleep
        Injected for tests (a fake clock makes the rpm quota deterministic).

    Attributes
    ----------
    calls, throttled, failed, errors, succeeded, rejected
        Counters: every call; throttled (``throttle`` or ``rpm``); refused (``fail``);
        transient 5xx (``error``); answered with a cutout; rejected as malformed.
    """

    def __init__(
        self,
        spec: str | dict = "",
        *,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if time_scale <= 0:
            raise ConfigError(f"time_scale must be positive, not {time_scale}")
        self.spec = parse_spec(spec)
        self.time_scale = time_scale
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._tokens = 0.0
        self._last_refill: float | None = None
        self._attempts: dict[str, int] = {}
        self.calls = self.throttled = self.failed = self.errors = 0
        self.succeeded = self.rejected = 0
        #: Simulated times of the first call and the last answer (throughput measurements).
        self.first_call_at: float | None = None
        self.last_answer_at: float | None = None

    def now(self) -> float:
        """Simulated seconds (the quota's clock)."""
        return self._clock() / self.time_scale

    def _take_token(self) -> bool:
        """The rpm quota as a token bucket: rpm/60 requests a second, one second of burst.

        A plain 60-second window would let a batch send a whole minute's quota at once
        and then stall; a bucket throttles above the sustained rate, as Bedrock does.
        """
        rate = self.spec["rpm"] / 60.0
        capacity = max(1.0, rate)
        now = self.now()
        if self._last_refill is None:
            self._tokens, self._last_refill = capacity, now
        self._tokens = min(capacity, self._tokens + (now - self._last_refill) * rate)
        self._last_refill = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def _fault(self, draw: random.Random) -> str | None:
        """The fault for this call, if any (called under the lock)."""
        roll = draw.random()
        fault = None
        for name in _PROBABILITIES:
            if roll < self.spec[name]:
                fault = name
                break
            roll -= self.spec[name]
        # The draw is made even when the quota throttles, so attempt n of an item
        # always meets the same draw; only whether the quota allows it varies.
        if self.spec["rpm"] and not self._take_token():
            return "throttle"
        return fault

    def invoke_model(  # noqa: N803 (boto3's parameter names)
        self,
        *,
        modelId: str,
        body: str | bytes,
        accept: str = "application/json",
        contentType: str = "application/json",
        **_: Any,
    ) -> dict:
        """Answer like ``InvokeModel``: ``{"body": StreamingBody, "contentType": …}``."""
        with self._lock:
            self.calls += 1
            if self.first_call_at is None:
                self.first_call_at = self.now()
        try:
            image = _request_image(modelId, body, contentType)
        except Exception:
            with self._lock:
                self.rejected += 1
            raise
        with self._lock:
            digest = hashlib.sha256(image).hexdigest()[:16]
            attempt = self._attempts.get(digest, 0)
            self._attempts[digest] = attempt + 1
            fault = self._fault(random.Random(f"{self.spec['seed']}:{digest}:{attempt}"))
            if fault == "throttle":
                self.throttled += 1
            elif fault == "fail":
                self.failed += 1
            elif fault == "error":
                self.errors += 1
        if fault == "throttle":
            # Bedrock refuses an over-quota call before running the model: no latency.
            raise client_error(
                "ThrottlingException", "Too many requests, please wait before trying again.", 429
            )
        if self.spec["latency_ms"]:
            self._sleep(self.spec["latency_ms"] / 1000 * self.time_scale)
        if fault == "error":
            raise client_error(
                "ServiceUnavailableException", "Bedrock is unable to process your request.", 503
            )
        stability = modelId in STABILITY_IDS
        if fault == "fail" and not stability:
            raise _invalid("This request has been blocked by our content filters.")
        if fault == "fail":
            answer: dict = {
                "seeds": [self.spec["seed"]],
                "finish_reasons": ["Filter reason: input image"],
                "images": [],
            }
        else:
            cutout = simulated_cutout(image)
            answer = (
                {"seeds": [self.spec["seed"]], "finish_reasons": [None], "images": [cutout]}
                if stability
                else {"images": [cutout], "error": None}
            )
            with self._lock:
                self.succeeded += 1
                self.last_answer_at = self.now()
        raw = json.dumps(answer).encode()
        return {
            "ResponseMetadata": _metadata(
                200, {"content-type": "application/json", "content-length": str(len(raw))}
            ),
            "contentType": "application/json",
            "body": StreamingBody(io.BytesIO(raw), len(raw)),
        }


def _request_image(model_id: str, body: str | bytes, content_type: str) -> bytes:
    """The request's image bytes, checked against the model's request schema and limits.

    Raises the ``ValidationException`` (or, for an unknown model id, the
    ``ResourceNotFoundException``) Bedrock would send for a bad request.
    """
    if model_id not in TITAN_IDS + STABILITY_IDS:
        raise client_error(
            "ResourceNotFoundException",
            "Could not resolve the foundation model from the provided model identifier.",
            404,
        )
    size = len(body.encode() if isinstance(body, str) else body)
    if size > MAX_BODY_BYTES:
        # What the service answers (botocore itself sends any size).
        raise _invalid(
            "1 validation error detected: Value at 'body' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_BODY_BYTES}"
        )
    if content_type != "application/json":
        raise _invalid(f"Malformed input request: content type {content_type} is not supported.")
    try:
        request = json.loads(body)
    except (TypeError, ValueError):
        raise _invalid("Malformed input request: the body is not valid JSON.") from None
    if not isinstance(request, dict):
        raise _invalid("Malformed input request: the body must be a JSON object.")
    if model_id in STABILITY_IDS:
        encoded = request.get("image")
        unknown = set(request) - {"image", "output_format"}
        if not isinstance(encoded, str) or unknown:
            raise _invalid(
                "Malformed input request: expected 'image' and optional 'output_format'"
                + (f", got extraneous key(s) {sorted(unknown)}" if unknown else "")
            )
        if request.get("output_format", "png") not in ("png", "jpeg", "webp"):
            raise _invalid("Malformed input request: output_format must be png, jpeg or webp.")
    else:
        params = request.get("backgroundRemovalParams")
        if request.get("taskType") != "BACKGROUND_REMOVAL" or not isinstance(params, dict):
            raise _invalid(
                "Malformed input request: taskType BACKGROUND_REMOVAL with "
                "backgroundRemovalParams is required."
            )
        encoded = params.get("image")
        if not isinstance(encoded, str):
            raise _invalid("Malformed input request: backgroundRemovalParams.image is required.")
    try:
        data = base64.b64decode(encoded, validate=True)
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image_format = image.format
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        raise _invalid("The provided image could not be decoded.") from None
    if model_id in STABILITY_IDS:
        aspect = width / height
        if min(width, height) < STABILITY_MIN_SIDE or width * height > STABILITY_MAX_PIXELS:
            raise _invalid(
                f"Image of {width}x{height} must have sides of at least {STABILITY_MIN_SIDE} "
                f"pixels and at most {STABILITY_MAX_PIXELS} pixels in total."
            )
        if not STABILITY_ASPECT[0] <= aspect <= STABILITY_ASPECT[1]:
            raise _invalid(f"Image aspect ratio {aspect:.2f} must be between 1:2.5 and 2.5:1.")
    else:
        if image_format not in ("PNG", "JPEG"):
            raise _invalid(f"The image must be PNG or JPEG, not {image_format}.")
        if max(width, height) > TITAN_MAX_SIDE or len(data) > TITAN_MAX_BYTES:
            raise _invalid(
                f"Image of {width}x{height} ({len(data)} bytes) exceeds the maximum of "
                f"{TITAN_MAX_SIDE} pixels per side or 5 MB."
            )
    return data


def simulated_cutout(image_bytes: bytes) -> str:
    """A plausible cutout: pixels unlike the border's median colour are the subject.

    Returns a base64 RGBA PNG like the models' answers (soft edges from a small blur).
    """
    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    pixels = np.asarray(image).astype(np.int16)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    distance = np.abs(pixels - np.median(border, axis=0)).sum(axis=2)
    alpha = Image.fromarray(np.where(distance > 60, 255, 0).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(1)
    )
    cutout = image.convert("RGBA")
    cutout.putalpha(alpha)
    buffer = io.BytesIO()
    cutout.save(buffer, format="PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


_shared: dict[tuple[str, float], SimulatedBedrockRuntime] = {}
_shared_lock = threading.Lock()


def shared(spec: str, *, time_scale: float = 1.0) -> SimulatedBedrockRuntime:
    """The process's simulator for (spec, time scale): a run's calls share one quota and counters."""
    with _shared_lock:
        key = (spec, time_scale)
        if key not in _shared:
            _shared[key] = SimulatedBedrockRuntime(spec, time_scale=time_scale)
        return _shared[key]


def reset() -> None:
    """Forget every shared simulator (counters and quota start again)."""
    with _shared_lock:
        _shared.clear()
