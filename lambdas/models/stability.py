"""Stability AI Stable Image Remove Background on Bedrock (through the US inference profile)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image

from lambdas.errors import ModelRefusedError, ModelUnavailableError
from lambdas.models import bedrock

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient


class StabilityRemoveBackground(bedrock.BedrockAdapter):
    """``{"image": b64, "output_format": "png"}`` → ``{"images": [b64], "finish_reasons": [...]}``.

    ``output_format`` is png because only png (and webp) keep the transparency the
    mask is read from.
    """

    def __init__(self, *, client: BedrockRuntimeClient | None = None, region: str | None = None):
        super().__init__("stability", client=client, region=region)

    def cache_params(self) -> dict:
        return {"model_id": self.model_id, "output_format": "png"}

    def request_body(self, image: Image.Image | bytes) -> dict:
        return {
            "image": bedrock.image_to_base64(image, self.limits.input_format),
            "output_format": "png",
        }

    def parse(self, answer: dict, size: tuple[int, int]) -> Image.Image:
        """The mask at ``size``, unless a finish reason says there is none.

        Stability documents ``null`` (success), ``"Filter reason: prompt"``,
        ``"Filter reason: input image"``, ``"Filter reason: output image"`` and
        ``"Inference error"``.

        Raises
        ------
        ModelRefusedError
            A ``Filter reason: …``: the content filter blocked the image (not retried).
        ModelUnavailableError
            ``Inference error``: the model failed on its side (retried).
        ModelResponseError
            No image, or one that is not a transparent cutout.
        """
        reasons = [str(reason) for reason in answer.get("finish_reasons") or [] if reason]
        if reasons:
            text = "; ".join(reasons)
            if any(reason.lower().startswith("filter reason") for reason in reasons):
                raise ModelRefusedError(
                    f"{self.model_id} blocked the image with its content filter ({text})"
                )
            if any("inference error" in reason.lower() for reason in reasons):
                raise ModelUnavailableError(f"{self.model_id} failed to process the image ({text})")
            raise ModelRefusedError(f"{self.model_id} did not finish: {text}")
        encoded = bedrock.first_image(answer, model_id=self.model_id)
        return bedrock.mask_from_base64(encoded, model_id=self.model_id, size=size)
