"""Amazon Titan Image Generator v2 and Nova Canvas: the tutorial's request body."""

from __future__ import annotations

from typing import Any

from PIL import Image

from lambdas.errors import ModelRefusedError
from lambdas.models import bedrock
from lambdas.models.catalog import facts


class TitanBackgroundRemoval:
    """``taskType: BACKGROUND_REMOVAL`` on Titan v2 (``titan-v2``) or Nova Canvas (``nova-canvas``)."""

    def __init__(self, name: str = "titan-v2", *, client: Any = None, region: str | None = None):
        model = facts(name)
        self.name = name
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
        return {"model_id": self.model_id, "task": "BACKGROUND_REMOVAL"}

    def request_body(self, image: Image.Image) -> dict:
        return {
            "taskType": "BACKGROUND_REMOVAL",
            "backgroundRemovalParams": {"image": bedrock.image_to_base64(image, "PNG")},
        }

    def remove_background(self, image: Image.Image) -> Image.Image:
        answer = bedrock.invoke(
            self.client, model_id=self.model_id, region=self.region, body=self.request_body(image)
        )
        if answer.get("error"):
            raise ModelRefusedError(f"{self.model_id} refused the image: {answer['error']}")
        images = answer.get("images") or [None]
        return bedrock.mask_from_base64(images[0], model_id=self.model_id, size=image.size)
