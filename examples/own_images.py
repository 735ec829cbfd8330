"""Your own images, worked end to end in about a minute: write a folder of PNG files (the ImageFolder
layout), train the paper's RAM on it with REINFORCE, and compare its learned glimpse locations with random
ones.

    python examples/own_images.py                           # the folder goes to a temporary directory
    python examples/own_images.py --out my_images           # keep it in my_images/ (made if missing)
    python examples/own_images.py --out my_images --epochs 0  # only write it, for train_agent.py --source

The images: a coloured shape on a textured background, class ``2 * shape + colour``: shape 0 a disc, 1 a
square; colour 0 reddish, 1 bluish (so both the shape and the colour must be seen); each image has its own
background texture (noise and stripes), and the shape a random position and shade. The tests build their
datasets with these functions too.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

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


# The glimpse task of the example: the 32x32 images at random places on a 48x48 canvas, 4 glimpses of an
# 8x8 retina at 3 scales (8, 16 and 32 pixels) from the centre, so that the shape must be looked for.
ENV_KWARGS = {"canvas_size": 48, "n_glimpses": 4, "glimpse_size": 8, "n_scales": 3, "start": "center"}


def train(source: Any, epochs: int = 60) -> Any:
    """A small RAM trained with REINFORCE on ``source`` (a folder, or ``(images, labels)``) for ``epochs``."""
    import agents
    import ram_env

    config = agents.ReinforceConfig(
        epochs=epochs,
        batch_size=64,
        learning_rate=3e-3,
        glimpse_hidden=64,
        location_hidden=32,
        hidden_size=128,
        location_std=0.15,
        num_threads=1,
    )
    agent = agents.ReinforceRAM(ram_env.IMAGES_ID, config, device="cpu", env_kwargs={"source": source, **ENV_KWARGS})
    agent.learn()
    return agent


def errors(agent: Any, split: str) -> tuple[float, float]:
    """``(error, error with uniformly random glimpse locations)`` of ``agent`` on ``split``."""
    import agents

    learned = agents.evaluate(agent, agent.env_id, split=split, **agent.env_kwargs)["error"]
    random_locations = agents.evaluate(agents.RandomLocations(agent), agent.env_id, split=split, **agent.env_kwargs)
    return learned, random_locations["error"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", type=Path, default=None, help="write the PNG folder here and keep it (default: a temporary one)"
    )
    parser.add_argument("--per-class", type=int, default=500, help="images of each of the 4 classes")
    parser.add_argument("--epochs", type=int, default=60, help="training epochs (0: only write the folder)")
    args = parser.parse_args()
    if args.epochs < 0 or args.per_class < 1:
        parser.error("--epochs must be >= 0 and --per-class >= 1")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_image_folder(args.out or Path(tmp) / "shapes", args.per_class)
        print(f"{4 * args.per_class} PNG files in {folder}: {', '.join(CLASS_NAMES)}")
        if args.out is not None:
            flags = " ".join(f"--{key.replace('_', '-')} {value}" for key, value in ENV_KWARGS.items())
            print(f"train on them: python train_agent.py --env GlimpseImages-v0 --source {folder} {flags} --epochs 20")
        if args.epochs == 0:
            return
        start = time.perf_counter()
        agent = train(str(folder), args.epochs)
        for split in ("test", "train"):
            learned, random_locations = errors(agent, split)
            print(
                f"{split} error {100 * learned:.1f}% (chance 75%), with random glimpse locations "
                f"{100 * random_locations:.1f}%"
            )
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
