"""Calling a Bedrock image model, and turning its errors into ours.

The state machine owns retries, so the bedrock-runtime client is made with
botocore's retries off: a throttled call fails at once as ``ModelThrottledError``
and the definition's backoff (with full jitter) decides when to try again.

How botocore errors become ours (``classify``):

* ``ThrottlingException``, ``ServiceQuotaExceededException`` → ``ModelThrottledError``
* ``ServiceUnavailableException``, ``InternalServerException``, ``ModelNotReadyException``,
  ``ModelTimeoutException``, ``ModelErrorException``, connection errors and read
  timeouts → ``ModelUnavailableError``
* ``ValidationException`` (a bad image or the content filter) → ``ModelRefusedError``
* ``AccessDeniedException``, ``ResourceNotFoundException`` → ``ModelAccessError``
* anything else is raised unchanged.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from PIL import Image, UnidentifiedImageError

from lambdas.errors import (
    ModelAccessError,
    ModelRefusedError,
    ModelResponseError,
    ModelThrottledError,
    ModelUnavailableError,
)
from lambdas.imaging.resize import encode_for_model
from lambdas.settings import aws_region

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

_THROTTLED = {"ThrottlingException", "ServiceQuotaExceededException"}
# ModelErrorException (424) is "an error while processing the model": AWS gives no
# reason to think the same image fails again, so it is retried like a 5xx.
_TRANSIENT = {
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
    "ModelTimeoutException",
    "ModelErrorException",
}
_FILTER_WORDS = ("filter", "blocked", "policy", "responsible ai")

#: Image models take seconds, and more when Bedrock is busy; botocore's 60 s default
#: would turn a slow answer into a retried (and paid) second call.
READ_TIMEOUT_SECONDS = 120
#: One attempt in total: ``max_attempts`` counts retries, ``total_max_attempts`` counts
#: every attempt, so this is the setting that means "no retries" in every retry mode.
NO_RETRIES = {"total_max_attempts": 1, "mode": "standard"}
#: InvokeModel's largest request body (botocore's service model; botocore does not check it).
MAX_BODY_BYTES = 25_000_000


_runtime_override: BedrockRuntimeClient | None = None


def use_runtime_client(client: BedrockRuntimeClient | None) -> None:
    """Make every adapter use ``client`` (the local engine's real client in hybrid runs)."""
    global _runtime_override
    _runtime_override = client


def runtime_client(region: str, session: Any = None) -> Any:
    """A bedrock-runtime client that does not retry (the state machine does)."""
    if _runtime_override is not None:
        return _runtime_override
    import boto3

    config = Config(
        retries=NO_RETRIES,  # type: ignore[arg-type]
        read_timeout=READ_TIMEOUT_SECONDS,
        connect_timeout=10,
    )
    return (session or boto3).client("bedrock-runtime", region_name=region, config=config)


def classify(error: Exception, *, model_id: str, region: str) -> Exception:
    """The errors-module exception for a failed InvokeModel (or ``error`` itself).

    Parameters
    ----------
    error
        What botocore raised.
    model_id, region
        Named in the message so a person can find the model in the console.
    """
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return ModelUnavailableError(f"{model_id} did not answer in {region}: {error}")
    if not isinstance(error, ClientError):
        return error
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "") or str(error)
    if code in _THROTTLED:
        return ModelThrottledError(f"{model_id} is throttling requests in {region}: {message}")
    if code in _TRANSIENT:
        return ModelUnavailableError(f"{model_id} had a transient fault ({code}): {message}")
    if code == "ValidationException":
        filtered = any(word in message.lower() for word in _FILTER_WORDS)
        kind = "blocked the image with its content filter" if filtered else "rejected the image"
        return ModelRefusedError(f"{model_id} {kind}: {message}")
    if code == "AccessDeniedException":
        return ModelAccessError(
            f"model access not enabled for {model_id} in {region}: enable it in the Bedrock "
            f"console (Model access) or check the role's bedrock:InvokeModel permission "
            f"(AWS said: {message})"
        )
    if code == "ResourceNotFoundException":
        return ModelAccessError(
            f"{model_id} is not available in {region} (unknown model id, or not offered "
            f"there): {message}"
        )
    return error


def invoke(client: BedrockRuntimeClient, *, model_id: str, region: str, body: dict) -> dict:
    """Call InvokeModel with a JSON body and return the decoded JSON answer.

    Raises
    ------
    ModelThrottledError, ModelUnavailableError, ModelRefusedError, ModelAccessError
        As ``classify`` maps botocore's errors.
    ModelResponseError
        If the answer is not a JSON object.
    """
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
        answer = json.loads(raw)
    except (TypeError, ValueError):
        answer = None
    if not isinstance(answer, dict):
        raise ModelResponseError(f"{model_id} answered with something that is not a JSON object")
    return answer


def image_to_base64(image: Image.Image | bytes, fmt: str = "PNG") -> str:
    """Base64 of the model-sized copy, as the request bodies carry it.

    ``image`` is either the already-encoded copy (sent as it is: Resize encoded it
    once in the model's ``input_format``) or a Pillow image, encoded here with
    ``encode_for_model`` (JPEG at quality 95, or PNG).
    """
    data = image if isinstance(image, bytes) else encode_for_model(image, fmt)
    return base64.b64encode(data).decode("ascii")


def first_image(answer: dict, *, model_id: str) -> Any:
    """``answer["images"][0]``, or ``ModelResponseError`` if the answer has no image."""
    images = answer.get("images")
    if not isinstance(images, list) or not images:
        raise ModelResponseError(f"{model_id} returned no image")
    return images[0]


def mask_from_base64(encoded: Any, *, model_id: str, size: tuple[int, int]) -> Image.Image:
    """The alpha channel of the model's returned cutout, at ``size``.

    The models answer with the subject on a transparent background; its alpha is
    the mask. An answer without transparency is refused (``ModelResponseError``)
    rather than guessed from colours: a fully opaque cutout means the model did
    not do its job, and a guess would hide that in the report. A cutout whose size
    differs from the request (models may round sizes) is resized back, so the
    mask always lines up with the copy it was made from.
    """
    if not isinstance(encoded, str) or not encoded:
        raise ModelResponseError(f"{model_id} returned no image")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
        image.load()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        raise ModelResponseError(f"{model_id} returned an image that cannot be decoded") from None
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        raise ModelResponseError(
            f"{model_id} returned an image without transparency ({image.mode}), so no mask"
        )
    mask = image.convert("RGBA").getchannel("A")
    if mask.size != size:
        mask = mask.resize(size, Image.Resampling.BICUBIC)
    return mask


class BedrockAdapter:
    """What every Bedrock image model shares: its facts, its client, the call.

    Subclasses say how to ask (``request_body``) and how to read the answer
    (``parse``): the parts that differ between models.

    Parameters
    ----------
    name
        The model's name in the catalog (``titan-v2``, ``nova-canvas``, ``stability``).
    client
        A bedrock-runtime client (real, stubbed or ``SimulatedBedrockRuntime``);
        made on first use, without retries, when not given.
    region
        Where to call Bedrock; default ``aws_region()``.
    """

    def __init__(
        self, name: str, *, client: BedrockRuntimeClient | None = None, region: str | None = None
    ) -> None:
        from lambdas.models.catalog import facts

        model = facts(name)
        if model.model_id is None:
            raise ValueError(f"{name} is not a Bedrock model")
        self.name = name
        self.model_id: str = model.model_id
        self.limits = model.limits
        self.region = region or aws_region()
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = runtime_client(self.region)
        return self._client

    def request_body(self, image: Image.Image | bytes) -> dict:
        """The InvokeModel body for the model-sized copy (a Pillow image or its encoding)."""
        raise NotImplementedError

    def parse(self, answer: dict, size: tuple[int, int]) -> Image.Image:
        raise NotImplementedError

    def remove_background(self, image: Image.Image) -> Image.Image:
        """One InvokeModel call: the soft ``"L"`` mask of ``image`` (255 = subject)."""
        return self.remove_background_encoded(
            encode_for_model(image, self.limits.input_format), image.size
        )

    def remove_background_encoded(self, data: bytes, size: tuple[int, int]) -> Image.Image:
        """One InvokeModel call for the copy Resize already encoded: no decode, no re-encode.

        Parameters
        ----------
        data
            The model-sized copy as stored (in ``limits.input_format``).
        size
            Its width and height: the mask comes back at this size.
        """
        answer = invoke(
            self.client, model_id=self.model_id, region=self.region, body=self.request_body(data)
        )
        return self.parse(answer, size)
