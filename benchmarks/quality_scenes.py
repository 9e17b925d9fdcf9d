"""Photos whose cutout truth is known exactly, for the quality benchmark.

Two sources, both used at bench time only and never committed:

* Debian's ``tuxpaint-stamps-default`` (GPL-2+): photographic stamps with a real alpha
  channel, downloaded with ``apt-get download`` into ``.bench/`` and composited onto four
  kinds of background: ``plain``, ``gradient``, ``texture`` and ``cluttered``.
* scikit-image's ``coins`` (a photo of coins on a dark cloth), whose truth comes from
  the region-based segmentation of scikit-image's own tutorial (a Sobel elevation map,
  flooded from sure markers), with holes filled and specks dropped.

scikit-image is a bench-only dependency (``requirements-dev.txt``).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

CACHE = Path(".bench")
STAMP_PACKAGE = "tuxpaint-stamps-default"
CANVAS = (800, 600)  # width, height: a model-sized photo
CATEGORIES = ("plain", "gradient", "texture", "cluttered")
# Photographic stamps: many distinct colours, and no few colours filling large areas.
MIN_COLOURS = 2000  # distinct colours at 6 bits a channel, over the opaque pixels
MAX_TOP_COLOUR_SHARE = 0.25  # of the opaque pixels held by the 16 commonest exact colours
CLUTTER_PHOTOS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "ihc.png",
)
REAL_TEXTURES = ("grass.png", "gravel.png", "brick.png")


@dataclass(frozen=True)
class Scene:
    """One benchmark photo: the RGB image, its boolean truth and where it came from."""

    category: str
    name: str
    image: np.ndarray
    truth: np.ndarray


def stamp_folder(cache: Path = CACHE) -> Path:
    """Download and unpack the stamps package once; return the stamps folder."""
    root = cache / "tuxpaint"
    stamps = root / "usr" / "share" / "tuxpaint" / "stamps"
    if stamps.is_dir():
        return stamps
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{STAMP_PACKAGE}_*.deb")):
        subprocess.run(["apt-get", "download", STAMP_PACKAGE], cwd=debs, check=True)
    deb = sorted(debs.glob(f"{STAMP_PACKAGE}_*.deb"))[-1]
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return stamps


def is_photographic(rgba: np.ndarray) -> bool:
    """True for a photo-like stamp with a real alpha channel, False for clip art."""
    alpha = rgba[..., 3]
    coverage = float((alpha > 127).mean())
    if not 0.05 < coverage < 0.95 or alpha[[0, -1], :].max() > 127 or alpha[:, [0, -1]].max() > 127:
        return False
    opaque = rgba[..., :3][alpha > 200].astype(np.int32)
    if len(opaque) < 2000:
        return False
    quantised = opaque >> 2
    distinct = np.unique(quantised[:, 0] * 4096 + quantised[:, 1] * 64 + quantised[:, 2]).size
    _, counts = np.unique(
        opaque[:, 0] * 65536 + opaque[:, 1] * 256 + opaque[:, 2], return_counts=True
    )
    top_share = np.sort(counts)[-16:].sum() / len(opaque)
    return distinct >= MIN_COLOURS and top_share <= MAX_TOP_COLOUR_SHARE


def photographic_stamps(folder: Path) -> list[Path]:
    """The photographic stamps under ``folder``, sorted by path."""
    chosen = []
    for path in sorted(folder.rglob("*.png")):
        with Image.open(path) as image:
            if image.mode not in ("RGBA", "LA", "P"):
                continue
            rgba = np.asarray(image.convert("RGBA"))
        if is_photographic(rgba):
            chosen.append(path)
    return chosen


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    return rng.normal(0.0, sigma, (*shape, 3)).astype(np.float32)


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(20, 235, 3).astype(np.float32)


def plain_background(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A flat colour with slight sensor noise."""
    return _random_colour(rng)[None, None, :] + _noise(rng, shape, 2.5)


def gradient_background(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A linear or radial blend between two colours, like a studio backdrop, with noise."""
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * np.pi)
        t = xs * np.cos(angle) + ys * np.sin(angle)
    else:
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        t = np.hypot(xs - cx, ys - cy)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    start, end = _random_colour(rng), _random_colour(rng)
    blend = start + (end - start) * t[..., None]
    return blend + _noise(rng, shape, 2.5)


def _value_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth random field in 0..1: a small random grid, upscaled with cubic interpolation."""
    height, width = shape
    grid = rng.random((cells, max(2, cells * width // height))).astype(np.float32)
    return np.clip(cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)


def _colourise(field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Map a 0..1 field between two random colours, often strongly contrasting."""
    base, other = _random_colour(rng), _random_colour(rng)
    return base + (other - base) * field[..., None]


def texture_background(rng: np.random.Generator, shape: tuple[int, int], kind: int) -> np.ndarray:
    """A textured surface: generated noise, weave or wood grain, or a real texture photo."""
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    kinds = ("noise", "weave", "wood", *REAL_TEXTURES)
    name = kinds[kind % len(kinds)]
    if name == "noise":
        field = sum(
            _value_noise(rng, shape, cells) / (i + 1) for i, cells in enumerate((4, 16, 64))
        )
        field = field / 1.84
    elif name == "weave":
        period = rng.uniform(6, 14)
        warp = 0.5 + 0.5 * np.sin(2 * np.pi * xs / period)
        weft = 0.5 + 0.5 * np.sin(2 * np.pi * ys / period)
        checker = (np.floor(xs / period) + np.floor(ys / period)) % 2
        field = np.where(checker > 0, warp, weft) * 0.7 + 0.3 * _value_noise(rng, shape, 40)
    elif name == "wood":
        bend = _value_noise(rng, shape, 6) * rng.uniform(20, 60)
        rings = np.sin(2 * np.pi * (ys + bend + 0.02 * xs) / rng.uniform(8, 20))
        field = 0.5 + 0.35 * rings + 0.15 * _value_noise(rng, shape, 80)
    else:
        field = _real_texture(name, shape, rng)
    return _colourise(np.clip(field, 0, 1), rng) + _noise(rng, shape, 2.0)


def skimage_photo(name: str, mode: str = "RGB") -> np.ndarray:
    """A photo from the ``skimage/data`` folder of scikit-image's wheel, as uint8."""
    import skimage.data

    with Image.open(Path(skimage.data.__file__).parent / name) as image:
        return np.asarray(image.convert(mode))


def _real_texture(name: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    grey = skimage_photo(name, "L").astype(np.float32) / 255.0
    return _crop_to(grey, shape, rng)


def _crop_to(photo: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random crop of ``photo`` at a random zoom, resized to ``shape``."""
    height, width = shape
    aspect = width / height
    crop_h = int(photo.shape[0] * rng.uniform(0.5, 1.0))
    crop_w = min(photo.shape[1], int(crop_h * aspect))
    crop_h = int(crop_w / aspect)
    top = int(rng.integers(0, photo.shape[0] - crop_h + 1))
    left = int(rng.integers(0, photo.shape[1] - crop_w + 1))
    crop = photo[top : top + crop_h, left : left + crop_w]
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)


def cluttered_background(rng: np.random.Generator, shape: tuple[int, int], kind: int) -> np.ndarray:
    """A crop of a real busy photo, slightly defocused as behind a subject in focus."""
    photo = skimage_photo(CLUTTER_PHOTOS[kind % len(CLUTTER_PHOTOS)]).astype(np.float32)
    crop = _crop_to(photo, shape, rng)
    sigma = rng.uniform(0.0, 2.0)
    return cv2.GaussianBlur(crop, (0, 0), sigma) if sigma > 0.3 else crop


def background(
    category: str, rng: np.random.Generator, shape: tuple[int, int], kind: int
) -> np.ndarray:
    """A float32 RGB background of the given category."""
    if category == "plain":
        return plain_background(rng, shape)
    if category == "gradient":
        return gradient_background(rng, shape)
    if category == "texture":
        return texture_background(rng, shape, kind)
    return cluttered_background(rng, shape, kind)


def composite(
    stamp: np.ndarray, back: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Scale and place an RGBA stamp on ``back``; return the photo and its truth (alpha > 0.5)."""
    height, width = back.shape[:2]
    ys, xs = np.nonzero(stamp[..., 3] > 0)
    stamp = stamp[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    fit = min(width / stamp.shape[1], height / stamp.shape[0])
    scale = fit * rng.uniform(0.45, 0.85)
    size = (max(1, round(stamp.shape[1] * scale)), max(1, round(stamp.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    stamp = np.clip(cv2.resize(stamp.astype(np.float32), size, interpolation=interpolation), 0, 255)
    top = int(rng.integers(0, height - size[1] + 1))
    left = int(rng.integers(0, width - size[0] + 1))
    alpha = np.zeros((height, width), np.float32)
    front = np.zeros((height, width, 3), np.float32)
    alpha[top : top + size[1], left : left + size[0]] = stamp[..., 3] / 255.0
    front[top : top + size[1], left : left + size[0]] = stamp[..., :3]
    photo = front * alpha[..., None] + back * (1.0 - alpha[..., None])
    return np.clip(photo, 0, 255).astype(np.uint8), alpha > 0.5


def stamp_scenes(stamps: list[Path], per_category: int, seed: int) -> list[Scene]:
    """``per_category`` composites for each background category, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    scenes = []
    shape = (CANVAS[1], CANVAS[0])
    for category in CATEGORIES:
        picks = rng.choice(len(stamps), size=min(per_category, len(stamps)), replace=False)
        for kind, index in enumerate(picks):
            path = stamps[int(index)]
            with Image.open(path) as image:
                stamp = np.asarray(image.convert("RGBA"))
            back = background(category, rng, shape, kind)
            photo, truth = composite(stamp, back, rng)
            scenes.append(Scene(category, f"{category}/{path.stem}", photo, truth))
    return scenes


def coins_truth(grey: np.ndarray) -> np.ndarray:
    """The coins in scikit-image's ``coins`` photo, as a boolean mask.

    The region-based segmentation of scikit-image's tutorial: flood a Sobel elevation
    map from sure markers (cloth below 30, coin above 150), fill holes, drop specks.
    """
    from scipy import ndimage
    from skimage import filters, morphology, segmentation

    elevation = filters.sobel(grey)
    markers = np.zeros_like(grey, dtype=np.int32)
    markers[grey < 30] = 1
    markers[grey > 150] = 2
    regions = segmentation.watershed(elevation, markers) == 2
    regions = ndimage.binary_fill_holes(regions)
    return morphology.remove_small_objects(regions, max_size=40)


def coins_scene() -> Scene:
    """scikit-image's coins photo with its derived truth."""
    grey = skimage_photo("coins.png", "L")
    rgb = np.repeat(grey[..., None], 3, axis=2)
    return Scene("coins", "coins", rgb, coins_truth(grey))
