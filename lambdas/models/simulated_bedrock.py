"""A stand-in for bedrock-runtime that answers in each model's real wire format.

``--simulate "throttle=0.3,fail=0.05,error=0.02,latency_ms=50,rpm=600,seed=7"`` runs
the real adapters (their request building and response parsing) against this
object instead of Bedrock: free rehearsals, tests and benchmarks. Faults are raised
exactly as boto3 raises them (``botocore.exceptions.ClientError`` with Bedrock's
error codes), so the adapters' error classification runs too.

Determinism: each call draws from ``random.Random(f"{seed}:{n}")`` where ``n`` is the
call's number in this simulator, so a given seed gives the same sequence of faults.
"""

from __future__ import annotations

import base64
import io
import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from PIL import Image, ImageFilter

from lambdas.errors import ConfigError

SPEC_KEYS = {
    "throttle": float,
    "fail": float,
    "error": float,
    "latency_ms": int,
    "rpm": int,
    "seed": int,
}


def parse_spec(spec: str | dict) -> dict[str, float]:
    """``"throttle=0.3,seed=7"`` → ``{"throttle": 0.3, "seed": 7, ...defaults}``.

    Raises
    ------
    ConfigError
        For an unknown key, a bad value or a probability outside 0..1.
    """
    values: dict[str, Any] = {
        "throttle": 0.0,
        "fail": 0.0,
        "error": 0.0,
        "latency_ms": 0,
        "rpm": 0,
        "seed": 0,
    }
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
        if key not in SPEC_KEYS:
            raise ConfigError(f"--simulate: unknown key {key!r}; known: {', '.join(SPEC_KEYS)}")
        try:
            values[key] = SPEC_KEYS[key](value)
        except (TypeError, ValueError):
            raise ConfigError(f"--simulate: {key} must be a number, not {value!r}") from None
        if key in ("throttle", "fail", "error") and not 0.0 <= values[key] <= 1.0:
            raise ConfigError(f"--simulate: {key} is a probability between 0 and 1, not {value}")
        if key in ("latency_ms", "rpm") and values[key] < 0:
            raise ConfigError(f"--simulate: {key} cannot be negative")
    return values


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "InvokeModel",
    )


class SimulatedBedrockRuntime:
    """Behaves like ``boto3.client("bedrock-runtime")`` for the image models bgremove uses.

    Parameters
    ----------
    time_scale
        Multiplies latency sleeps and divides the quota clock: 0.01 runs a minute of
        simulated quota in 0.6 s of wall time, for tests and benchmarks.
    """

    def __init__(
        self,
        spec: str | dict = "",
        *,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spec = parse_spec(spec)
        self.time_scale = time_scale
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._tokens = 0.0
        self._last_refill: float | None = None
        self.calls = self.throttled = self.failed = self.errors = self.succeeded = 0
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

    def invoke_model(
        self,
        *,
        modelId: str,
        body: str | bytes,
        accept: str = "application/json",
        contentType: str = "application/json",
        **_: Any,
    ) -> dict:  # noqa: N803 (boto3's names)
        request = json.loads(body)
        with self._lock:
            number = self.calls
            self.calls += 1
            if self.first_call_at is None:
                self.first_call_at = self.now()
            fault = self._fault(random.Random(f"{self.spec['seed']}:{number}"))
            if fault == "throttle":
                self.throttled += 1
            elif fault == "fail":
                self.failed += 1
            elif fault == "error":
                self.errors += 1
        if self.spec["latency_ms"]:
            self._sleep(self.spec["latency_ms"] / 1000 * self.time_scale)
        if fault == "throttle":
            raise _client_error(
                "ThrottlingException", "Too many requests, please wait before trying again.", 429
            )
        if fault == "error":
            raise _client_error(
                "ServiceUnavailableException", "Service is temporarily unavailable.", 503
            )
        image_b64 = self._request_image(modelId, request)
        if fault == "fail":
            raise _client_error(
                "ValidationException",
                "This request has been blocked by our content filters.",
                400,
            )
        answer = self._answer(modelId, image_b64)
        with self._lock:
            self.succeeded += 1
            self.last_answer_at = self.now()
        raw = json.dumps(answer).encode()
        return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}

    def _fault(self, draw: random.Random) -> str | None:
        if self.spec["rpm"] and not self._take_token():
            return "throttle"
        roll = draw.random()
        for name in ("throttle", "error", "fail"):
            if roll < self.spec[name]:
                return name
            roll -= self.spec[name]
        return None

    @staticmethod
    def _request_image(model_id: str, request: dict) -> str:
        """The request's image, checked against the model's request schema as Bedrock would."""
        if "stability" in model_id:
            image = request.get("image")
            if not isinstance(image, str) or request.get("output_format", "png") not in (
                "png",
                "jpeg",
                "webp",
            ):
                raise _client_error(
                    "ValidationException", "Malformed input request: 'image' is required.", 400
                )
            return image
        if request.get("taskType") != "BACKGROUND_REMOVAL":
            raise _client_error("ValidationException", "Malformed input request: taskType.", 400)
        image = (request.get("backgroundRemovalParams") or {}).get("image")
        if not isinstance(image, str):
            raise _client_error(
                "ValidationException",
                "Malformed input request: backgroundRemovalParams.image is required.",
                400,
            )
        return image

    @staticmethod
    def _answer(model_id: str, image_b64: str) -> dict:
        cutout = simulated_cutout(base64.b64decode(image_b64))
        if "stability" in model_id:
            return {"images": [cutout], "finish_reasons": [None], "seeds": [0]}
        return {"images": [cutout], "error": None}


def simulated_cutout(image_bytes: bytes) -> str:
    """A plausible cutout: pixels unlike the border's median colour are the subject."""
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
    """One simulator per spec in a process, so a run's calls share one quota and counters."""
    with _shared_lock:
        key = (spec, time_scale)
        if key not in _shared:
            _shared[key] = SimulatedBedrockRuntime(spec, time_scale=time_scale)
        return _shared[key]


def reset() -> None:
    with _shared_lock:
        _shared.clear()
