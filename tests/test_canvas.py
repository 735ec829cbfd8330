"""Canvas layouts: translation and the mnist-cluttered recipe, checked against hand-placed pixels."""

from __future__ import annotations

import numpy as np

from ram_env import counter_rng
from ram_env.canvas import CanvasLayout


def build(layout: CanvasLayout, digits: np.ndarray, pool: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    out = np.full((len(digits), layout.size, layout.size), 77, dtype=np.uint8)  # build must overwrite all
    layout.build(digits, pool, uniforms, out)
    return out


def test_translation_places_the_digit() -> None:
    layout = CanvasLayout(size=10)
    digits = np.arange(1, 17, dtype=np.uint8).reshape(1, 4, 4)
    # 7 positions per axis: u = 0.5 -> 3, u = 0.99 -> 6.
    canvas = build(layout, digits, digits, np.array([[0.5, 0.99]]))[0]
    expected = np.zeros((10, 10), np.uint8)
    expected[3:7, 6:10] = digits[0]
    np.testing.assert_array_equal(canvas, expected)


def test_same_size_canvas_is_the_image() -> None:
    digits = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.testing.assert_array_equal(build(CanvasLayout(size=28), digits, digits, np.zeros((3, 2))), digits)


def test_clutter_recipe_by_hand() -> None:
    layout = CanvasLayout(size=12, n_clutter=2, clutter_size=3)
    digit = np.full((1, 4, 4), 200, dtype=np.uint8)
    pool = np.stack([np.zeros((4, 4), np.uint8), (np.arange(16, dtype=np.uint8).reshape(4, 4) + 1) * 10])
    # digit at (y, x) = (0, 0); crop 1 from pool image 1 at (1, 0) placed at (2, 2); crop 2 from pool image 1 at
    # (0, 1) placed at (9, 9). Positions: 9 digit positions, 2 sources, 2 crop positions, 10 placements.
    uniforms = np.array([[0.0, 0.0, 0.6, 0.5, 0.0, 0.2, 0.2, 0.6, 0.0, 0.5, 0.95, 0.95]])
    canvas = build(layout, digit, pool, uniforms)[0]
    expected = np.zeros((12, 12), np.int64)
    expected[2:5, 2:5] += pool[1, 1:4, 0:3]
    expected[9:12, 9:12] += pool[1, 0:3, 1:4]
    expected[0:4, 0:4] += 200
    np.testing.assert_array_equal(canvas, np.minimum(expected, 255))
    assert (canvas[2, 2], canvas[3, 3], canvas[4, 4]) == (250, 255, 150)  # 100 + 200 saturates at 255


def test_uniform_layout_draws_cover_the_canvas() -> None:
    layout = CanvasLayout(size=60, n_clutter=4)
    keys = counter_rng.derive_keys(np.uint64(1), np.arange(20000))
    offsets = layout.digit_offsets((28, 28), counter_rng.uniforms(keys, layout.n_uniforms))
    assert offsets.min() == 0 and offsets.max() == 32
    counts = np.bincount(offsets[:, 0], minlength=33)
    assert counts.min() > 0.7 * counts.mean() and counts.max() < 1.3 * counts.mean()


def test_counter_streams_are_uniform_and_independent() -> None:
    u = counter_rng.uniforms(counter_rng.mix64(np.arange(50000, dtype=np.uint64)), 4)
    assert u.min() >= 0 and u.max() < 1
    np.testing.assert_allclose(u.mean(axis=0), 0.5, atol=0.01)
    np.testing.assert_allclose(np.corrcoef(u.T), np.eye(4), atol=0.02)
