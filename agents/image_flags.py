"""The command line's flags for ``--env GlimpseImages-v0`` (your own images): where the images are, how they
are fitted, and the canvas and retina settings. They become the env's keyword arguments."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import ram_env
from agents.cli_checks import FlagError
from ram_env.image_env import load_source
from ram_env.image_fit import FITS
from ram_env.image_folder import BAD_FILE_POLICIES

__all__ = ["IMAGE_FLAGS", "add_image_flags", "image_env_kwargs"]

# flag dest -> (type, help); each is an env keyword argument of the same name.
IMAGE_FLAGS: dict[str, tuple[type, str]] = {
    "source": (str, "the images: a folder of class subfolders (PNG/JPEG), a folder of .npy files, or an .npz file"),
    "image_size": (int, "fit every image to this side, pixels (with --fit resize or pad)"),
    "fit": (str, f"how images are fitted to --image-size: {', '.join(FITS)} (default none)"),
    "canvas_size": (int, "side of the square canvas, pixels (default: the images' side)"),
    "n_clutter": (int, "distractor crops on each canvas (default 0)"),
    "clutter_size": (int, "side of each distractor crop, pixels (default 8)"),
    "glimpse_size": (int, "retina patch side g, pixels (default 8)"),
    "n_scales": (int, "retina scales k (default 3)"),
    "on_bad_file": (str, f"an unreadable image file: {' or '.join(BAD_FILE_POLICIES)} (default raise)"),
}


def add_image_flags(parser: argparse.ArgumentParser) -> None:
    """Add the ``IMAGE_FLAGS`` group."""
    group = parser.add_argument_group(f"your own images (--env {ram_env.IMAGES_ID})")
    for name, (kind, text) in IMAGE_FLAGS.items():
        group.add_argument("--" + name.replace("_", "-"), type=kind, default=None, help=text)


def image_env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The env keyword arguments of the image flags given (a path made absolute), checked by loading the
    images once. With ``--eval-only`` and no image flag, none: the saved agent's own settings hold.

    Raises:
        FlagError: an image flag with another env, ``--env GlimpseImages-v0`` without ``--source``, or images
            that do not load (the message names the file or field).
    """
    given = {name: getattr(args, name) for name in IMAGE_FLAGS if getattr(args, name, None) is not None}
    if args.env != ram_env.IMAGES_ID:
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise FlagError(f"{flags}: only for --env {ram_env.IMAGES_ID} (your own images)")
        return {}
    if not given and args.eval_only:  # the saved agent's own images and settings
        return {}
    if "source" in given:
        given["source"] = str(Path(given["source"]).expanduser().resolve())
    try:
        load_source(**given)
    except (OSError, ValueError) as exc:  # ImageDataError is a ValueError
        raise FlagError(f"--env {ram_env.IMAGES_ID}: {exc}") from exc
    return given
