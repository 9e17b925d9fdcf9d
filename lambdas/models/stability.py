"""Stability AI Stable Image Remove Background on Bedrock."""

from __future__ import annotations

from typing import Any

from PIL import Image

from lambdas.errors import ModelRefusedError
from lambdas.models import bedrock
from lambdas.models.catalog import facts


class StabilityRemoveBackground:
    """``{"image": b64, "output_format": "png"}`` → ``{"images": [b64], "finish_reasons": [...]}``."""

    name = "stability"

    def __init__(self, *, client: Any = None, region: str | None = None):
        model = facts(self.name)
        self.model_id: str = model.model_id  # type: ignore[assignment]
        self.limits = model.limits
        self.region = region or bedrock.default_region()
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = bedrock.runtime_client(self.region)
        return self._client

    def cache_params(self) -> dict:
        return {"model_id": self.model_id, "output_format": "png"}

    def request_body(self, image: Image.Image) -> dict:
        return {"image": bedrock.image_to_base64(image, "PNG"), "output_format": "png"}

    def remove_background(self, image: Image.Image) -> Image.Image:
        answer = bedrock.invoke(
            self.client, model_id=self.model_id, region=self.region, body=self.request_body(image)
        )
        reasons = [reason for reason in answer.get("finish_reasons") or [] if reason]
        if reasons:
            raise ModelRefusedError(f"{self.model_id} did not finish: {'; '.join(reasons)}")
        images = answer.get("images") or [None]
        return bedrock.mask_from_base64(images[0], model_id=self.model_id, size=image.size)
