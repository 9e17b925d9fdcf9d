"""Bring your own matting model: an ONNX export of ISNet, U²-Net, BiRefNet and the like.

Such a model takes one NCHW image (float32 or float16) and returns a one-channel
map, sometimes among several outputs (U²-Net and ISNet also return their side
outputs): the first output is used unless ``output`` names another. The input size
comes from the model's input shape when it is fixed, else from ``input_size``.

Pre- and post-processing follow what these exports are trained with (and what
rembg does with them): RGB scaled to 0..1, then ``(x - mean) / std`` (ImageNet
statistics by default; ``normalize="unit"`` keeps 0..1); values outside 0..1 are
logits and go through a sigmoid; the map is stretched to 0..1 (min-max) and resized
back to the image. The pretrained models (``lambdas.models.catalog``) pin what rembg
does instead of guessing: ``divide_by_max`` (rembg divides by the image's own
maximum, not 255), ``sigmoid`` (always for BiRefNet, never for U²-Net and IS-Net)
and LANCZOS resizing (rembg's base and BiRefNet sessions; the registry entries in
``lambdas/models/catalog.py`` say which rembg session each follows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from lambdas.errors import ConfigError, ModelResponseError
from lambdas.models.base import ModelLimits

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
NORMALIZATIONS = {
    "imagenet": (IMAGENET_MEAN, IMAGENET_STD),
    "unit": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
}
RESAMPLING = {"bilinear": Image.Resampling.BILINEAR, "lanczos": Image.Resampling.LANCZOS}


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OnnxMattingModel:
    """A user-supplied ONNX matting model, run with onnxruntime on the CPU.

    Parameters
    ----------
    path
        The ``.onnx`` file (``--model-path``; ``BGREMOVE_MODEL_PATH`` in ``Settings``).
    input_size
        Side of the square input, needed when the model's input shape is dynamic.
    normalize
        ``"imagenet"`` (default), ``"unit"`` (0..1 only), ``(mean, std)`` triples, or
        the same as text: ``"0.5,0.5,0.5/0.5,0.5,0.5"``.
    output
        Name of the output holding the matte; default the model's first output.
    sigmoid
        ``True``: the output is logits (BiRefNet); ``False``: it is already 0..1
        (U²-Net, IS-Net); ``None`` (default): logits when values leave 0..1.
    divide_by_max
        Scale the image by its own maximum value (rembg) instead of by 255.
    resample
        ``"bilinear"`` (default) or ``"lanczos"`` (rembg), both ways.

    Raises
    ------
    ConfigError
        No file, a file that is not an ONNX model, an input that is not one NCHW
        3-channel image, a dynamic size without ``input_size``, or an unknown output.
    """

    name = "onnx"

    def __init__(
        self,
        path: str | None = None,
        *,
        input_size: int | None = None,
        normalize: str | tuple[Sequence[float], Sequence[float]] = "imagenet",
        output: str | None = None,
        sigmoid: bool | None = None,
        divide_by_max: bool = False,
        resample: str = "bilinear",
    ) -> None:
        if not path:
            raise ConfigError(
                "--model onnx needs a model file: give --model-path (or BGREMOVE_MODEL_PATH)"
            )
        if not Path(path).is_file():
            raise ConfigError(f"ONNX model file {path} does not exist")
        mean, std = self._normalization(normalize)
        if resample not in RESAMPLING:
            raise ConfigError(f"unknown resampling {resample!r}: use {' or '.join(RESAMPLING)}")
        self.resample = resample
        self.sigmoid = sigmoid
        self.divide_by_max = divide_by_max
        import onnxruntime

        try:
            self.session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise ConfigError(
                f"{path} is not an ONNX model onnxruntime can load: {error}"
            ) from None
        self.path = path
        model_input = self.session.get_inputs()[0]
        shape = list(model_input.shape)
        channels = shape[1] if len(shape) == 4 else None
        if len(shape) != 4 or (isinstance(channels, int) and channels != 3):
            raise ConfigError(
                f"{path} takes input {model_input.name!r} of shape {shape}; "
                "a matting model takes one NCHW RGB image (1, 3, H, W)"
            )
        self.input_name = model_input.name
        self.input_dtype = np.float16 if model_input.type == "tensor(float16)" else np.float32
        height, width = shape[2], shape[3]
        fixed = isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0
        if not fixed and not input_size:
            raise ConfigError(
                f"{path} has a dynamic input size: give input_size (e.g. 1024 for BiRefNet)"
            )
        self.size: tuple[int, int] = (width, height) if fixed else (input_size, input_size)  # type: ignore[assignment]
        outputs = [item.name for item in self.session.get_outputs()]
        if output is not None and output not in outputs:
            raise ConfigError(f"{path} has no output {output!r}; it has {', '.join(outputs)}")
        self.output = output or outputs[0]
        self.mean = np.array(mean, np.float32).reshape(1, 3, 1, 1)
        self.std = np.array(std, np.float32).reshape(1, 3, 1, 1)
        self.limits = ModelLimits(max_side=max(1024, *self.size))
        self._digest = _file_sha256(path)

    @staticmethod
    def _normalization(normalize: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
        if isinstance(normalize, str) and "/" in normalize:
            normalize = tuple(part.split(",") for part in normalize.split("/", 1))
        if isinstance(normalize, str):
            if normalize not in NORMALIZATIONS:
                raise ConfigError(
                    f"unknown ONNX normalisation {normalize!r}: use "
                    f"{' or '.join(NORMALIZATIONS)}, or mean/std as 'm,m,m/s,s,s'"
                )
            return NORMALIZATIONS[normalize]
        try:
            mean, std = (tuple(float(value) for value in triple) for triple in normalize)
        except (TypeError, ValueError):
            raise ConfigError("ONNX normalisation must be a name or (mean, std) triples") from None
        if len(mean) != 3 or len(std) != 3 or not all(std):
            raise ConfigError("ONNX normalisation needs three means and three non-zero stds")
        return mean, std

    def cache_params(self) -> dict:
        return {
            "sha256": self._digest,
            "size": list(self.size),
            "mean": self.mean.ravel().round(6).tolist(),
            "std": self.std.ravel().round(6).tolist(),
            "output": self.output,
            "sigmoid": self.sigmoid,
            "divide_by_max": self.divide_by_max,
            "resample": self.resample,
        }

    def remove_background(self, image: Image.Image) -> Image.Image:
        """The soft ``"L"`` mask of ``image`` at its own size (255 = subject)."""
        resample = RESAMPLING[self.resample]
        resized = image.convert("RGB").resize(self.size, resample)
        array = np.asarray(resized, np.float32).transpose(2, 0, 1)[None]
        array = array / (max(float(array.max()), 1e-6) if self.divide_by_max else 255.0)
        array = ((array - self.mean) / self.std).astype(self.input_dtype)
        (output,) = self.session.run([self.output], {self.input_name: array})
        matte = np.squeeze(np.asarray(output, np.float32))
        if matte.ndim != 2:
            raise ModelResponseError(
                f"{self.path} returned shape {np.shape(output)} from {self.output!r}, "
                "not a 1-channel map"
            )
        if not np.isfinite(matte).all():
            raise ModelResponseError(f"{self.path} returned NaN or infinite values")
        logits = matte.min() < 0.0 or matte.max() > 1.0 if self.sigmoid is None else self.sigmoid
        if logits:
            matte = (0.5 * (1.0 + np.tanh(matte / 2))).astype(
                matte.dtype
            )  # the sigmoid, without overflow
        low, high = float(matte.min()), float(matte.max())
        if high - low > 1e-6:
            matte = (matte - low) / (high - low)
        mask = Image.fromarray(np.round(matte * 255).astype(np.uint8))
        return mask.resize(image.size, resample)
