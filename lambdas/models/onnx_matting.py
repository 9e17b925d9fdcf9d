"""Bring your own matting model: an ONNX export of ISNet, U²-Net, BiRefNet and the like.

The model takes one NCHW float image and returns a one-channel map (the first
output, if there are several). The input size comes from the model's input shape
when it is fixed, else from ``input_size``. Values outside 0..1 are treated as
logits (sigmoid); the map is then stretched to 0..1 and resized back.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from PIL import Image

from lambdas.errors import ConfigError, ModelResponseError
from lambdas.models.base import ModelLimits

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class OnnxMattingModel:
    name = "onnx"

    def __init__(
        self,
        path: str | None = None,
        *,
        input_size: int | None = None,
        mean: tuple[float, float, float] = IMAGENET_MEAN,
        std: tuple[float, float, float] = IMAGENET_STD,
    ) -> None:
        path = path or os.environ.get("BGREMOVE_ONNX_MODEL")
        if not path:
            raise ConfigError(
                "--model onnx needs a model file: set model_path or BGREMOVE_ONNX_MODEL"
            )
        if not Path(path).is_file():
            raise ConfigError(f"ONNX model file {path} does not exist")
        import onnxruntime

        self.path = path
        self.session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        height, width = model_input.shape[2], model_input.shape[3]
        fixed = isinstance(height, int) and isinstance(width, int)
        if not fixed and not input_size:
            raise ConfigError(
                f"{path} has a dynamic input size: give input_size (e.g. 1024 for BiRefNet)"
            )
        self.size = (width, height) if fixed else (input_size, input_size)
        self.mean = np.array(mean, np.float32).reshape(1, 3, 1, 1)
        self.std = np.array(std, np.float32).reshape(1, 3, 1, 1)
        self.limits = ModelLimits(max_side=max(1024, max(self.size)))
        with open(path, "rb") as handle:
            self._digest = hashlib.sha256(handle.read()).hexdigest()

    def cache_params(self) -> dict:
        return {"sha256": self._digest, "size": list(self.size)}

    def remove_background(self, image: Image.Image) -> Image.Image:
        resized = image.convert("RGB").resize(self.size, Image.Resampling.BILINEAR)
        array = np.asarray(resized, np.float32).transpose(2, 0, 1)[None] / 255.0
        array = (array - self.mean) / self.std
        output = self.session.run(None, {self.input_name: array.astype(np.float32)})[0]
        matte = np.squeeze(np.asarray(output, np.float32))
        if matte.ndim != 2:
            raise ModelResponseError(
                f"{self.path} returned shape {output.shape}, not a 1-channel map"
            )
        if matte.min() < 0.0 or matte.max() > 1.0:
            matte = 1.0 / (1.0 + np.exp(-matte))
        low, high = float(matte.min()), float(matte.max())
        if high - low > 1e-6:
            matte = (matte - low) / (high - low)
        mask = Image.fromarray((matte * 255).astype(np.uint8), mode="L")
        return mask.resize(image.size, Image.Resampling.BILINEAR)
