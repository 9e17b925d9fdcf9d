"""Calling a Bedrock image model, and turning its errors into ours.

The state machine owns retries, so the bedrock-runtime client is made with
botocore's retries off: a throttled call fails at once as ``ModelThrottledError``
and the definition's backoff (with full jitter) decides when to try again.
"""

from __future__ import annotations

import base64
import io
import json
import os
from typing import Any

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from PIL import Image, UnidentifiedImageError

from lambdas.errors import (
    ModelAccessError,
    ModelRefusedError,
    ModelResponseError,
    ModelThrottledError,
    ModelUnavailableError,
)

_TRANSIENT = {
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
    "ModelTimeoutException",
    "ModelErrorException",
}


def default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


_runtime_override: Any = None


def use_runtime_client(client: Any) -> None:
    """Make every adapter use ``client`` (the local engine's real client in hybrid runs)."""
    global _runtime_override
    _runtime_override = client


def runtime_client(region: str, session: Any = None) -> Any:
    """A bedrock-runtime client that does not retry (the state machine does)."""
    if _runtime_override is not None:
        return _runtime_override
    import boto3

    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        read_timeout=120,
        connect_timeout=10,
    )
    return (session or boto3).client("bedrock-runtime", region_name=region, config=config)


def classify(error: Exception, *, model_id: str, region: str) -> Exception:
    """The errors-module exception for a failed InvokeModel (or ``error`` itself)."""
    if isinstance(error, (ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)):
        return ModelUnavailableError(f"{model_id} did not answer in {region}: {error}")
    if not isinstance(error, ClientError):
        return error
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "") or str(error)
    if code == "ThrottlingException":
        return ModelThrottledError(f"{model_id} is throttling requests in {region}: {message}")
    if code in _TRANSIENT:
        return ModelUnavailableError(f"{model_id} had a transient fault ({code}): {message}")
    if code == "ValidationException":
        filtered = any(word in message.lower() for word in ("filter", "content", "policy"))
        kind = "blocked by the model's content filter" if filtered else "rejected the image"
        return ModelRefusedError(f"{model_id} {kind}: {message}")
    if code == "AccessDeniedException":
        return ModelAccessError(
            f"model access not enabled for {model_id} in {region}: enable it in the Bedrock "
            f"console (Model access) or grant bedrock:InvokeModel on it ({message})"
        )
    if code == "ResourceNotFoundException":
        return ModelAccessError(f"{model_id} is not available in {region}: {message}")
    return error


def invoke(client: Any, *, model_id: str, region: str, body: dict) -> dict:
    """Call InvokeModel with a JSON body and return the decoded JSON answer."""
    try:
        response = client.invoke_model(
            modelId=model_id,
            body=json.dumps(body),
            accept="application/json",
            contentType="application/json",
        )
        raw = response["body"].read()
    except Exception as error:
        classified = classify(error, model_id=model_id, region=region)
        if classified is error:
            raise
        raise classified from error
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        raise ModelResponseError(f"{model_id} answered with something that is not JSON") from None


def image_to_base64(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def mask_from_base64(encoded: Any, *, model_id: str, size: tuple[int, int]) -> Image.Image:
    """The alpha channel of the model's returned cutout, at ``size``.

    The models answer with the subject on a transparent background; its alpha is
    the mask. An answer without transparency has no usable mask.
    """
    if not isinstance(encoded, str) or not encoded:
        raise ModelResponseError(f"{model_id} returned no image")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(encoded)))
        image.load()
    except (ValueError, UnidentifiedImageError, OSError):
        raise ModelResponseError(f"{model_id} returned an image that cannot be decoded") from None
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        raise ModelResponseError(f"{model_id} returned an image without transparency")
    mask = image.convert("RGBA").getchannel("A")
    if mask.size != size:
        # Models may round sizes; the mask must match the copy it was made from.
        mask = mask.resize(size, Image.Resampling.BICUBIC)
    return mask


class BedrockAdapter:
    """What every Bedrock image model shares: its facts, its client, the call.

    Subclasses say how to ask (``request_body``) and how to read the answer
    (``parse``): the parts that differ between models.
    """

    def __init__(self, name: str, *, client: Any = None, region: str | None = None) -> None:
        from lambdas.models.catalog import facts

        model = facts(name)
        self.name = name
        self.model_id: str = model.model_id  # type: ignore[assignment]
        self.limits = model.limits
        self.region = region or default_region()
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = runtime_client(self.region)
        return self._client

    def request_body(self, image: Image.Image) -> dict:
        raise NotImplementedError

    def parse(self, answer: dict, size: tuple[int, int]) -> Image.Image:
        raise NotImplementedError

    def remove_background(self, image: Image.Image) -> Image.Image:
        answer = invoke(
            self.client, model_id=self.model_id, region=self.region, body=self.request_body(image)
        )
        return self.parse(answer, image.size)
