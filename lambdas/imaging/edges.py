"""Clean full-resolution edges: refine an upscaled mask against the original photo.

A model's mask is made at a few hundred pixels; scaled up to a 24 MP photo its edge
is a ramp tens of pixels wide (a halo). Here a fast guided filter (He et al., "Guided
Image Filtering", 2013, and "Fast Guided Filter", 2015) with the photo's colours as
the guide redraws the edge where the photo has one: sharp where the photo's edge is
sharp, soft where it is soft (hair, a blurred edge), and nothing left outside.

Only a band around the edge is touched (where the upscaled alpha is neither 0 nor 1,
widened by the filter's radius), tile by tile, so a 100 MP photo costs memory in
proportion to a tile and time in proportion to the edge, not the frame. Needs only
NumPy and Pillow (it runs in the Store Lambda too).

The filter's input is the mask with its ramp steepened (``_SHARPEN``): filtering the
upscaled ramp as it is keeps most of its width (on a 400 px mask of a 6000×4000 scene,
a hard edge 22 px wide instead of 29, alpha 0.13 left 8 px outside); steepened, the
photo decides (1 px, under 0.05). ``tests/unit/lambdas/imaging/test_edges.py`` holds
the scene; ``benchmarks/edge_refine.py`` the cost.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: Part of a local cutout's record (``records.run_signature``): bump it when the
#: refinement changes its output, so a re-run redoes cutouts made by the old one.
VERSION = 1
#: Alpha (of 255) strictly between these is edge; outside it the mask is sure.
_LOW, _HIGH = 5, 250
#: A tile's side, full-resolution pixels (before its overlap).
_TILE = 1024
#: The guided filter's regulariser, for colours in [0, 1]: smaller follows the photo more.
_EPS = 1e-3
#: How much steeper the filter's input is than the upscaled mask's ramp: the photo,
#: not the upscaling, decides how soft the edge is.
_SHARPEN = 8.0
#: The filter's radius in full-resolution pixels: this many times the upscaling, and at
#: least the minimum, so a soft edge (hair, a blurred edge) fits inside one window.
_RADIUS_PER_FACTOR, _MIN_RADIUS = 2, 32


def refine_edges(guide: Image.Image, alpha: np.ndarray, factor: float) -> np.ndarray:
    """Return ``alpha`` (uint8, the guide's size) with its edge refined.

    Parameters
    ----------
    guide
        The full-resolution photo (RGB or RGBA; its colours are the guide).
    alpha
        The mask scaled up to the guide's size.
    factor
        How much the mask was scaled up; the filter's radius and subsampling follow it.

    Returns
    -------
    numpy.ndarray
        A refined copy (``alpha`` itself when it needs nothing).
    """
    if factor < 1.5:
        return alpha  # already at (about) full resolution: nothing to redraw
    # The filter's coefficients live on a grid as coarse as the mask (He's fast guided
    # filter); the photo's own detail comes back in the full-resolution linear model.
    # At most a fifth of the minimum radius, so a window spans at least 11 cells.
    step = max(1, min(round(factor), _MIN_RADIUS // 5))
    radius = max(2, round(max(_RADIUS_PER_FACTOR * factor, _MIN_RADIUS) / step))  # grid cells
    # Tiles and their overlaps are whole grid cells, so every tile's grid is one grid and
    # a pixel's result does not depend on its tile. The filter reaches 2·radius cells.
    tile = -(-_TILE // step) * step
    margin = (2 * radius + 2) * step
    height, width = alpha.shape
    refined = alpha.copy()  # tiles read the mask as it came, overlaps included
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            core = (left, top, min(left + tile, width), min(top + tile, height))
            _refine_tile(guide, alpha, refined, core, margin, step, radius)
    return refined


def _refine_tile(
    guide: Image.Image,
    alpha: np.ndarray,
    refined: np.ndarray,
    core: tuple[int, int, int, int],
    margin: int,
    step: int,
    radius: int,
) -> None:
    """Write into ``refined`` the filtered alpha of ``core``'s pixels near the edge.

    The filter reads ``core`` widened by ``margin`` (whole cells) of ``alpha`` and ``guide``.
    """
    height, width = alpha.shape
    left, top = max(0, core[0] - margin), max(0, core[1] - margin)
    right, bottom = min(width, core[2] + margin), min(height, core[3] + margin)
    window = alpha[top:bottom, left:right]
    if not ((window > _LOW) & (window < _HIGH)).any():
        return
    crop = guide.crop((left, top, right, bottom)).convert("RGB")
    small_colours = np.asarray(crop.reduce(step), np.float32) * (1 / 255)
    small_soft = np.asarray(Image.fromarray(window).reduce(step), np.float32) * (1 / 255)
    edge = (small_soft > _LOW / 255) & (small_soft < _HIGH / 255)
    # The filter's result reaches 2·radius cells from the edge; beyond that it is the mask.
    near = _box(edge.astype(np.float32), 2 * radius + 1) > 1e-6
    # Only the core's pixels near the edge are redrawn.
    inner = (slice(core[1] - top, core[3] - top), slice(core[0] - left, core[2] - left))
    rows = np.arange(inner[0].start, inner[0].stop) // step
    columns = np.arange(inner[1].start, inner[1].stop) // step
    chosen = near[rows[:, None], columns[None, :]]
    if not chosen.any():
        return
    gain, offset = _coefficients(small_colours, _sharpened(small_soft), radius)
    colours = np.asarray(crop)[inner]
    values = np.array(_upsampled(offset, step, inner))
    for channel in range(3):
        values += _upsampled(gain[..., channel], step, inner) * (colours[..., channel] * (1 / 255))
    values = np.clip(values * 255 + 0.5, 0, 255).astype(np.uint8)
    np.copyto(refined[core[1] : core[3], core[0] : core[2]], values, where=chosen)


def _sharpened(soft: np.ndarray) -> np.ndarray:
    """The mask with its ramp steepened ``_SHARPEN`` times about one half."""
    return np.clip((soft - 0.5) * _SHARPEN + 0.5, 0, 1)


def _upsampled(grid: np.ndarray, step: int, inner: tuple[slice, slice]) -> np.ndarray:
    """``grid`` (cells of ``step`` pixels) interpolated bilinearly, at the pixels ``inner``."""
    rows, columns = grid.shape
    box = (inner[1].start / step, inner[0].start / step, inner[1].stop / step, inner[0].stop / step)
    size = (inner[1].stop - inner[1].start, inner[0].stop - inner[0].start)
    plane = Image.fromarray(np.ascontiguousarray(grid))
    return np.asarray(plane.resize(size, Image.Resampling.BILINEAR, box=box), np.float32)


def _coefficients(colours: np.ndarray, soft: np.ndarray, radius: int) -> tuple[np.ndarray, ...]:
    """The guided filter's per-pixel linear model ``alpha ≈ gain · colour + offset``."""
    mean = _box(colours, radius)
    mean_soft = _box(soft, radius)
    cross = _box(colours * soft[..., None], radius) - mean * mean_soft[..., None]
    covariance = {}
    for row, column in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)):
        product = colours[..., row] * colours[..., column]
        covariance[row, column] = _box(product, radius) - mean[..., row] * mean[..., column]
        if row == column:
            covariance[row, column] += _EPS
    gain = _solve3(covariance, cross)
    offset = mean_soft - np.einsum("...c,...c->...", gain, mean)
    return _box(gain, radius), _box(offset, radius)


def _solve3(sym: dict[tuple[int, int], np.ndarray], right: np.ndarray) -> np.ndarray:
    """Solve the symmetric 3×3 systems ``sym · x = right`` at every cell (by cofactors)."""
    a, b, c = sym[0, 0], sym[0, 1], sym[0, 2]
    d, e, f = sym[1, 1], sym[1, 2], sym[2, 2]
    inverse = (
        (d * f - e * e, c * e - b * f, b * e - c * d),
        (c * e - b * f, a * f - c * c, b * c - a * e),
        (b * e - c * d, b * c - a * e, a * d - b * b),
    )
    determinant = a * inverse[0][0] + b * inverse[0][1] + c * inverse[0][2]
    return np.stack(
        [sum(inverse[row][k] * right[..., k] for k in range(3)) / determinant for row in range(3)],
        axis=-1,
    )


def _box(values: np.ndarray, radius: int) -> np.ndarray:
    """The mean over a (2·radius+1)² window, clipped at the borders (axes 0 and 1)."""
    total = values
    for axis in (0, 1):
        total = _window_sum(total, radius, axis)
    count = np.outer(_window_count(values.shape[0], radius), _window_count(values.shape[1], radius))
    if values.ndim == 3:
        count = count[..., None]
    return total / count


def _window_sum(values: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Sums over windows of 2·radius+1 along ``axis``, the array's ends counting as zeros."""
    pad = [(0, 0)] * values.ndim
    pad[axis] = (radius + 1, radius)
    running = np.cumsum(np.pad(values, pad), axis=axis, dtype=np.float32)
    length = values.shape[axis]
    upper = [slice(None)] * values.ndim
    lower = [slice(None)] * values.ndim
    upper[axis] = slice(2 * radius + 1, 2 * radius + 1 + length)
    lower[axis] = slice(0, length)
    return running[tuple(upper)] - running[tuple(lower)]


def _window_count(length: int, radius: int) -> np.ndarray:
    index = np.arange(length)
    return (np.minimum(index + radius, length - 1) - np.maximum(index - radius, 0) + 1).astype(
        np.float32
    )
