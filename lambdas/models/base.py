"""The interface every background-removal model implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image


@dataclass(frozen=True)
class ModelLimits:
    """What a model accepts; Resize makes the model-sized copy fit these.

    Attributes
    ----------
    max_side
        Longest side in pixels the model accepts (the copy is scaled down to fit).
    min_side
        Shortest side in pixels the model accepts (smaller images fail as too small).
    max_pixels
        Pixel-count cap (width * height), or ``None``.
    aspect_range
        ``(min, max)`` of width / height the model accepts, or ``None`` for any;
        the copy is padded to fit and the mask cropped back.
    input_format
        Encoding of the model-sized copy sent to the model: ``"PNG"`` or ``"JPEG"``.
    """

    max_side: int = 1024
    min_side: int = 1
    max_pixels: int | None = None
    aspect_range: tuple[float, float] | None = None
    input_format: str = "PNG"


@runtime_checkable
class BackgroundModel(Protocol):
    """A model that separates the subject from the background.

    ``remove_background`` takes the model-sized RGB copy and returns a soft mask: a
    Pillow ``"L"`` image of the same size, 255 = subject, 0 = background.
    """

    name: str
    limits: ModelLimits

    def remove_background(self, image: Image.Image) -> Image.Image: ...

    def cache_params(self) -> dict:
        """Parameters that change the output, for the result cache key."""
        ...
