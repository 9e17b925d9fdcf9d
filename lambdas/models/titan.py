"""Amazon Titan Image Generator v2 and Nova Canvas: the tutorial's request body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image

from lambdas.errors import ModelRefusedError
from lambdas.models import bedrock

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient


class TitanBackgroundRemoval(bedrock.BedrockAdapter):
    """``taskType: BACKGROUND_REMOVAL`` on Titan v2 (``titan-v2``) or Nova Canvas (``nova-canvas``).

    Both models take the same body and answer ``{"images": [b64], "error": …}``; the
    cutout is a PNG whose alpha is the mask.
    """

    def __init__(
        self,
        name: str = "titan-v2",
        *,
        client: BedrockRuntimeClient | None = None,
        region: str | None = None,
    ):
        if name not in ("titan-v2", "nova-canvas"):
            raise ValueError(f"{name} does not take the BACKGROUND_REMOVAL body")
        super().__init__(name, client=client, region=region)

    def cache_params(self) -> dict:
        return {"model_id": self.model_id, "task": "BACKGROUND_REMOVAL"}

    def request_body(self, image: Image.Image | bytes) -> dict:
        return {
            "taskType": "BACKGROUND_REMOVAL",
            "backgroundRemovalParams": {
                "image": bedrock.image_to_base64(image, self.limits.input_format)
            },
        }

    def parse(self, answer: dict, size: tuple[int, int]) -> Image.Image:
        """``{"images": [b64], "error": null | "reason"}`` → the mask at ``size``.

        Raises
        ------
        ModelRefusedError
            The answer's ``error`` field is set (the model's own refusal, e.g. its
            content filter), with the model's text.
        ModelResponseError
            No image, or one that is not a transparent cutout.
        """
        if answer.get("error"):
            raise ModelRefusedError(f"{self.model_id} refused the image: {answer['error']}")
        encoded = bedrock.first_image(answer, model_id=self.model_id)
        return bedrock.mask_from_base64(encoded, model_id=self.model_id, size=size)
