"""The retina against hand-computed patches, and against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from ram_env.retina import Retina, glimpse, locations_to_pixels

# An 8x8 canvas whose pixel (row r, column c) is 10 r + c + 1, so every patch is easy to compute by hand.
CANVAS = (10 * np.arange(8)[:, None] + np.arange(8)[None, :] + 1).astype(np.uint8)

# location (x, y) -> patches * 255 for g = 2, scales 0 (2x2 pixels), 1 (4x4 -> 2x2), 2 (8x8 -> 2x2).
HAND_COMPUTED = {
    # centre pixel point (4, 4): scale 0 covers rows/cols 3-4, scale 1 rows/cols 2-5, scale 2 the canvas.
    "centre": ((0.0, 0.0), [[[34, 35], [44, 45]], [[28.5, 30.5], [48.5, 50.5]], [[17.5, 21.5], [57.5, 61.5]]]),
    # (5, 2): scale 0 rows 1-2, cols 4-5; scale 1 rows 0-3, cols 3-6; scale 2 rows -2..5, cols 1..8.
    "off-centre": ((0.25, -0.5), [[[15, 16], [25, 26]], [[9.5, 11.5], [29.5, 31.5]], [[4.25, 4.5], [38.5, 31.5]]]),
    "top-left corner": ((-1.0, -1.0), [[[0, 0], [0, 1]], [[0, 0], [0, 6.5]], [[0, 0], [0, 17.5]]]),
    "bottom-right corner": ((1.0, 1.0), [[[78, 0], [0, 0]], [[72.5, 0], [0, 0]], [[61.5, 0], [0, 0]]]),
    "top-right corner": ((1.0, -1.0), [[[0, 0], [8, 0]], [[0, 0], [12.5, 0]], [[0, 0], [21.5, 0]]]),
    "left edge": ((-1.0, 0.0), [[[0, 31], [0, 41]], [[0, 26.5], [0, 46.5]], [[0, 17.5], [0, 57.5]]]),
    # x = 0.125 puts the centre at 4.5 pixels: a 2-pixel patch starts at floor(4.5 - 1 + 0.5) = 4.
    "half pixel": ((0.125, 0.0), [[[35, 36], [45, 46]], [[29.5, 31.5], [49.5, 51.5]], [[18.5, 16.5], [58.5, 46.5]]]),
}


@pytest.mark.parametrize("case", HAND_COMPUTED)
def test_hand_computed_patches(case: str) -> None:
    location, expected = HAND_COMPUTED[case]
    got = glimpse(CANVAS[None], np.array([location]), size=2, n_scales=3)
    assert got.shape == (1, 3, 2, 2) and got.dtype == np.float32
    np.testing.assert_allclose(got[0] * 255, expected, rtol=1e-6, atol=1e-4)


def test_batch_of_cases_equals_one_by_one() -> None:
    locations = np.array([loc for loc, _ in HAND_COMPUTED.values()])
    canvases = np.repeat(CANVAS[None], len(locations), axis=0)
    expected = np.array([patches for _, patches in HAND_COMPUTED.values()])
    np.testing.assert_allclose(glimpse(canvases, locations, 2, 3) * 255, expected, rtol=1e-6, atol=1e-4)


def test_locations_outside_are_clipped() -> None:
    inside = glimpse(CANVAS[None], np.array([[1.0, -1.0]]), 2, 3)
    outside = glimpse(CANVAS[None], np.array([[7.0, -3.0]]), 2, 3)
    np.testing.assert_array_equal(inside, outside)


def brute_force(canvas: np.ndarray, location: np.ndarray, g: int, k: int) -> np.ndarray:
    """The retina's definition, pixel by pixel."""
    h, w = canvas.shape
    cx, cy = (location[0] + 1) / 2 * w, (location[1] + 1) / 2 * h
    out = np.zeros((k, g, g))
    for i in range(k):
        f, side = 2**i, g * 2**i
        x0, y0 = int(np.floor(cx - side / 2 + 0.5)), int(np.floor(cy - side / 2 + 0.5))
        patch = np.zeros((side, side))
        for r in range(side):
            for c in range(side):
                if 0 <= y0 + r < h and 0 <= x0 + c < w:
                    patch[r, c] = canvas[y0 + r, x0 + c]
        out[i] = patch.reshape(g, f, g, f).mean(axis=(1, 3)) / 255
    return out


@pytest.mark.parametrize("side, g, k", [(28, 8, 1), (60, 12, 3), (100, 12, 4), (21, 5, 3), (9, 1, 2)])
def test_matches_brute_force(side: int, g: int, k: int) -> None:
    rng = np.random.default_rng(side)
    canvases = rng.integers(0, 256, (6, side, side), dtype=np.uint8)
    locations = np.concatenate([rng.uniform(-1, 1, (3, 2)), [[-1, -1], [1, 1], [-1, 1]]])
    got = glimpse(canvases, locations, g, k)
    expected = np.stack([brute_force(c, loc, g, k) for c, loc in zip(canvases, locations, strict=True)])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_reload_of_some_canvases() -> None:
    rng = np.random.default_rng(1)
    side, g, k = 30, 6, 3
    first, second = (rng.integers(0, 256, (5, side, side), dtype=np.uint8) for _ in range(2))
    retina = Retina(5, side, side, size=g, n_scales=k)
    retina.interior()[...] = first
    retina.load()
    ids = np.array([3, 0])
    retina.load(second[ids], ids)
    centres = locations_to_pixels(rng.uniform(-1, 1, (5, 2)), side, side)
    expected = first.copy()
    expected[ids] = second[ids]
    np.testing.assert_allclose(retina.read(centres), glimpse(expected, centres / side * 2 - 1, g, k), atol=1e-6)
    np.testing.assert_allclose(retina.read(centres[ids], ids), glimpse(second[ids], centres[ids] / side * 2 - 1, g, k))


def test_int32_chunking_of_large_batches() -> None:
    # 100x100 canvases of 255: 2,200 of them overflow one int32 table; the retina splits the stack.
    retina = Retina(2200, 100, 100, size=12, n_scales=4)
    retina.interior()[...] = 255
    retina.load()
    patches = retina.read(np.full((2200, 2), 50.0))
    np.testing.assert_allclose(patches, 1.0, rtol=1e-6)
