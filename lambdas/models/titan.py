"""Amazon Titan Image Generator v2 and Nova Canvas: the tutorial's request body."""

from __future__ import annotations

from typing import Any

from PIL import Image

from lambdas.errors import ModelRefusedError
from lambdas.models import bedrock


class TitanBackgroundRemoval(bedrock.BedrockAdapter):
    """``taskType: BACKGROUND_REMOVAL`` on Titan v2 (``titan-v2``) or Nova Canvas (``nova-canvas``)."""

    def __init__(self, name: str = "titan-v2", *, client: Any = None, region: str | None = None):
        super().__init__(name, client=client, region=region)

    def cache_params(self) -> dict:
        return {"model_id": self.model_id, "task": "BACKGROUND_REMOVAL"}

    def request_body(self, image: Image.Image) -> dict:
        return {
            "taskType": "BACKGROUND_REMOVAL",
            "backgroundRemovalParams": {"image": bedrock.image_to_base64(image, "PNG")},
        }

    def parse(self, answer: dict, size: tuple[int, int]) -> Image.Image:
        """``{"images": [b64], "error": null | "reason"}``."""
        if answer.get("error"):
            raise ModelRefusedError(f"{self.model_id} refused the image: {answer['error']}")
        images = answer.get("images") or [None]
        return bedrock.mask_from_base64(images[0], model_id=self.model_id, size=size)
