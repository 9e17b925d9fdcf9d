"""Stability AI Stable Image Remove Background on Bedrock."""

from __future__ import annotations

from typing import Any

from PIL import Image

from lambdas.errors import ModelRefusedError
from lambdas.models import bedrock


class StabilityRemoveBackground(bedrock.BedrockAdapter):
    """``{"image": b64, "output_format": "png"}`` → ``{"images": [b64], "finish_reasons": [...]}``."""

    def __init__(self, *, client: Any = None, region: str | None = None):
        super().__init__("stability", client=client, region=region)

    def cache_params(self) -> dict:
        return {"model_id": self.model_id, "output_format": "png"}

    def request_body(self, image: Image.Image) -> dict:
        return {"image": bedrock.image_to_base64(image, "PNG"), "output_format": "png"}

    def parse(self, answer: dict, size: tuple[int, int]) -> Image.Image:
        # A non-null finish reason (e.g. "Filter reason: …") means no usable image.
        reasons = [reason for reason in answer.get("finish_reasons") or [] if reason]
        if reasons:
            raise ModelRefusedError(f"{self.model_id} did not finish: {'; '.join(reasons)}")
        images = answer.get("images") or [None]
        return bedrock.mask_from_base64(images[0], model_id=self.model_id, size=size)
