"""What a cutout looks like: mask only, a background colour, cropped, a size cap.

The options are rembg's (``-om`` mask only, ``-bgc`` background colour) and
remove.bg's (``crop``, ``crop_margin``, ``size``, ``bg_color``). A run, a manifest
and a manifest item may each set them; the item's win. Both engines apply them in
the same Store step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image

from lambdas.errors import ConfigError

#: The option names, as a request, a manifest or a manifest item spells them.
OUTPUT_OPTIONS = ("mask", "bg_color", "crop", "margin", "max_size")
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_MARGIN = re.compile(r"(\d+)(%?)")
#: Alpha at or below this is background when cropping (soft edge noise is not subject).
_CROP_THRESHOLD = 8


@dataclass(frozen=True)
class OutputOptions:
    """How the Store step finishes a cutout.

    Attributes
    ----------
    mask
        Write the alpha alone (white subject on black), rembg's ``-om``.
    bg_color
        ``#RRGGBB`` or ``#RRGGBBAA``: the subject on this colour instead of transparency.
    crop
        Crop to the subject's bounds, plus ``margin``.
    margin
        Pixels (``"20"``) or a percentage of the subject's larger side (``"5%"``).
    max_size
        The longest side of the output, in pixels (smaller outputs are not enlarged).
    """

    mask: bool = False
    bg_color: str | None = None
    crop: bool = False
    margin: str = "0"
    max_size: int | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> OutputOptions:
        """Validated options; raises ``ConfigError`` naming the bad one."""
        known = {name: options[name] for name in OUTPUT_OPTIONS if options.get(name) is not None}
        values = cls(
            mask=_flag(known.get("mask", False), "mask"),
            bg_color=_colour(known["bg_color"]) if "bg_color" in known else None,
            crop=_flag(known.get("crop", False), "crop"),
            margin=_margin(known.get("margin", "0")),
            max_size=_size(known["max_size"]) if "max_size" in known else None,
        )
        if values.mask and values.bg_color:
            raise ConfigError("mask and bg_color cannot be combined: a mask has no background")
        return values

    @classmethod
    def for_item(cls, run: Mapping[str, Any], item: Mapping[str, Any]) -> OutputOptions:
        """An item's options: the run's (request and manifest), then the item's own."""
        return cls.from_options({**run.get("output_options", {}), **item.get("options", {})})

    def to_dict(self) -> dict[str, Any]:
        """The options that differ from the defaults."""
        defaults = asdict(OutputOptions())
        return {name: value for name, value in asdict(self).items() if value != defaults[name]}

    def fill(self) -> tuple[int, int, int]:
        """What a JPEG (no transparency) sits on: the background colour, else white."""
        return _rgba(self.bg_color)[:3] if self.bg_color else (255, 255, 255)

    def suffix(self) -> str:
        return "_mask" if self.mask else "_bg_removed"


def finish(cutout: Image.Image, options: OutputOptions) -> Image.Image:
    """Apply ``options`` to an RGBA cutout: crop, cap the size, then mask or background."""
    if options.crop:
        cutout = _cropped(cutout, options.margin)
    if options.max_size and max(cutout.size) > options.max_size:
        scale = options.max_size / max(cutout.size)
        size = (max(1, round(cutout.width * scale)), max(1, round(cutout.height * scale)))
        cutout = cutout.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if options.mask:
        return cutout.getchannel("A")
    if options.bg_color:
        background = Image.new("RGBA", cutout.size, _rgba(options.bg_color))
        background.alpha_composite(cutout)
        return background
    return cutout


def _cropped(cutout: Image.Image, margin: str) -> Image.Image:
    alpha = cutout.getchannel("A").point(lambda value: 255 if value > _CROP_THRESHOLD else 0)
    box = alpha.getbbox()
    if box is None:
        return cutout  # nothing to crop to: keep the frame
    left, top, right, bottom = box
    amount, percent = _MARGIN.fullmatch(margin).groups()  # type: ignore[union-attr]
    pad = int(amount) * max(right - left, bottom - top) // 100 if percent else int(amount)
    return cutout.crop(
        (
            max(0, left - pad),
            max(0, top - pad),
            min(cutout.width, right + pad),
            min(cutout.height, bottom + pad),
        )
    )


def _rgba(colour: str) -> tuple[int, int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(char * 2 for char in digits)
    if len(digits) == 6:
        digits += "ff"
    return tuple(int(digits[index : index + 2], 16) for index in range(0, 8, 2))  # type: ignore[return-value]


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes"):
        return True
    if str(value).lower() in ("false", "0", "no", ""):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _colour(value: Any) -> str:
    text = str(value).strip()
    if not _HEX.fullmatch(text):
        raise ConfigError(
            f"bg_color {value!r} is not a colour: use hex, e.g. #ffffff or #00000080 (with alpha)"
        )
    return "#" + text.lstrip("#").lower()


def _margin(value: Any) -> str:
    text = str(value).strip()
    if not _MARGIN.fullmatch(text):
        raise ConfigError(f"margin {value!r} must be pixels (20) or a percentage (5%)")
    return text


def _size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"max_size must be a whole number of pixels, not {value!r}") from None
    if not 16 <= size <= 100_000:
        raise ConfigError(f"max_size must be between 16 and 100000 pixels, not {size}")
    return size
