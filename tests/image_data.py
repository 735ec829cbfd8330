"""Small real-looking image datasets built on the fly: a coloured shape on a textured background.

Class ``2 * shape + colour``: shape 0 a disc, 1 a square; colour 0 reddish, 1 bluish (so both the shape and
the colour must be seen). Each image has its own background texture (noise and stripes) and the shape a
random position, size and shade.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

N_CLASSES = 4
CLASS_NAMES = ("disc_red", "disc_blue", "square_red", "square_blue")


def shape_image(rng: np.random.Generator, label: int, size: int = 32, shape_side: int = 10) -> np.ndarray:
    """One ``(size, size, 3)`` uint8 RGB image of class ``label``."""
    yy, xx = np.mgrid[:size, :size]
    period, phase = rng.uniform(4, 9), rng.uniform(0, 2 * np.pi)
    stripes = 20 * np.sin(2 * np.pi * (xx + yy) / period + phase)
    background = rng.uniform(40, 90) + stripes[..., None] + rng.normal(0, 12, (size, size, 3))
    image = np.clip(background, 0, 255).astype(np.uint8)
    shade = rng.uniform(170, 255)
    red = (shade, rng.uniform(0, 60), rng.uniform(0, 60))
    colour = red if label % 2 == 0 else (rng.uniform(0, 60), rng.uniform(60, 120), shade)
    half = shape_side // 2
    cx, cy = rng.integers(half, size - half, 2)
    if label // 2 == 0:
        cv2.circle(image, (int(cx), int(cy)), half, colour, thickness=-1)
    else:
        cv2.rectangle(image, (int(cx) - half, int(cy) - half), (int(cx) + half - 1, int(cy) + half - 1), colour, -1)
    return image


def shape_arrays(n: int, seed: int = 0, size: int = 32, shape_side: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, size, size, 3) uint8, labels (n,) int64)``, classes in turn."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.int64) % N_CLASSES
    return np.stack([shape_image(rng, int(label), size, shape_side) for label in labels]), labels


def write_image_folder(root: Path, per_class: int, seed: int = 0, size: int = 32, suffix: str = ".png") -> Path:
    """``root/CLASS_NAME/NNN.png`` files (BGR on disk, as OpenCV writes): ``per_class`` images a class."""
    images, labels = shape_arrays(per_class * N_CLASSES, seed, size)
    for i, (image, label) in enumerate(zip(images, labels, strict=False)):
        folder = root / CLASS_NAMES[label]
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i:04d}{suffix}"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return root
