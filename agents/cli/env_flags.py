"""The command line's env flags: the task's canvas and retina (every id that takes them, as its keyword
arguments: ``docs/design.md#registered-ids``), and for ``--env GlimpseImages-v0`` where your own images are and
how they are fitted. They become the env's keyword arguments, checked by making the env once."""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Any

import gymnasium as gym

import ram_env
from agents.cli.checks import FlagError
from agents.evaluation import entry_point_of
from ram_env.data.image_fit import FITS
from ram_env.data.image_folder import BAD_FILE_POLICIES
from ram_env.image_env import SOURCE_KEYS

__all__ = ["ENV_FLAGS", "add_env_flags", "env_flag_kwargs"]

# flag dest -> (type, help); each is an env keyword argument of the same name.
ENV_FLAGS: dict[str, tuple[type, str]] = {
    "canvas_size": (int, "side of the square canvas, pixels (default: the id's; your images: their side)"),
    "n_clutter": (int, "distractor crops on each canvas (default: the id's)"),
    "clutter_size": (int, "side of each distractor crop, pixels (default 8)"),
    "glimpse_size": (int, "retina patch side g, pixels (default: the id's)"),
    "n_scales": (int, "retina scales k (default: the id's)"),
    "source": (
        str,
        "GlimpseImages-v0: the images, a folder of class subfolders (PNG/JPEG), a folder of .npy files, "
        "or an .npz file",
    ),
    "image_size": (int, "GlimpseImages-v0: fit every image to this side, pixels (with --fit resize or pad)"),
    "fit": (str, f"GlimpseImages-v0: how images are fitted to --image-size: {', '.join(FITS)} (default none)"),
    "on_bad_file": (
        str,
        f"GlimpseImages-v0: an unreadable image file: {' or '.join(BAD_FILE_POLICIES)} (default raise)",
    ),
}


def add_env_flags(parser: argparse.ArgumentParser, shown: bool = True) -> None:
    """Add the ``ENV_FLAGS`` group (its help suppressed unless ``shown``)."""
    group = parser.add_argument_group("the task (env keyword arguments)")
    for name, (kind, text) in ENV_FLAGS.items():
        group.add_argument(
            "--" + name.replace("_", "-"), type=kind, default=None, help=text if shown else argparse.SUPPRESS
        )


def _accepted(env_id: str) -> set[str]:
    """The keyword arguments ``env_id``'s env class takes."""
    return set(inspect.signature(entry_point_of(env_id)).parameters)


def env_flag_kwargs(args: argparse.Namespace, env_id: str) -> dict[str, Any]:
    """The keyword arguments of ``env_id`` that the env flags of ``args`` give (a source path made absolute),
    checked by making the env once. With ``--eval-only`` and no env flag, none: the saved agent's own settings
    hold.

    Raises:
        FlagError: a flag the env does not take, ``--env GlimpseImages-v0`` without ``--source``, or a value
            the env refuses, or images that do not load (the message names the flag, file or field).
    """
    given = {name: getattr(args, name) for name in ENV_FLAGS if getattr(args, name, None) is not None}
    unknown = sorted(set(given) - _accepted(env_id))
    if unknown:
        flags = ", ".join("--" + name.replace("_", "-") for name in unknown)
        raise FlagError(
            f"{flags}: not a setting of {env_id}"
            + (f" (only of --env {ram_env.IMAGES_ID}, your own images)" if set(unknown) <= set(SOURCE_KEYS) else "")
        )
    if not given and (args.eval_only or env_id != ram_env.IMAGES_ID):
        return {}
    if env_id == ram_env.IMAGES_ID and "source" not in given:
        raise FlagError(f"--env {env_id}: {env_id} needs source=: give --source FOLDER_OR_FILE")
    if "source" in given:
        given["source"] = str(Path(given["source"]).expanduser().resolve())
    try:
        gym.make(env_id, **given).close()
    except (OSError, ValueError) as exc:  # ImageDataError is a ValueError
        flag = next((f"--{name.replace('_', '-')}" for name in given if name in str(exc)), f"--env {env_id}")
        raise FlagError(f"{flag}: {exc}") from exc
    return given
