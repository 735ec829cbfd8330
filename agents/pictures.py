"""Pictures of an agent's glimpse paths: a PNG grid of finished episodes and an animated GIF of them
(images of a classification split, or games of Catch); and a run's learning curves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from PIL import Image, ImageDraw

import ram_env  # noqa: F401  (registers the env ids)
from agents.evaluation import Agent, first_location_of, reset_arguments, split_arguments

__all__ = ["glimpse_path_frames", "save_glimpse_pictures"]

_GIF_MS_PER_FRAME = 600


def glimpse_path_frames(
    agent: Agent, env_id: str, index: int, split: str = "test", seed: int = 0, **env_kwargs: Any
) -> tuple[list[np.ndarray], bool, str]:
    """Play episode ``index`` of ``split`` (image ``index``, or game ``index``, seeded as ``agents.evaluate``
    does) with the agent's deterministic policy.

    Returns:
        ``(frames, won, outcome)``: one ``(H, W, 3)`` uint8 picture per glimpse (the env's ``rgb_array``
        rendering: canvas or screen, path so far, retina squares), whether the episode was won (right
        class, ball caught), and the outcome in words ("guess 3, true 5", "caught").
    """
    env = gym.make(env_id, render_mode="rgb_array", **split_arguments(env_id, split), **env_kwargs)
    reset = reset_arguments(env_id, split, seed, np.array([index]), first_location_of(agent))
    obs, _ = env.reset(seed=reset["seed"][0], options={k: v[0] for k, v in reset.get("options", {}).items()})
    frames: list[np.ndarray] = [np.asarray(env.render())]  # rgb_array: one (H, W, 3) picture
    state, start, terminated = None, True, False
    info: dict[str, Any] = {}
    reward: SupportsFloat = 0.0
    while not terminated:
        action, state = agent.predict(obs, state, np.array([start]), deterministic=True)
        obs, reward, terminated, _, info = env.step(action)
        start = False
        if not terminated:
            frames.append(np.asarray(env.render()))
    env.close()
    if "caught" in info:
        return frames, bool(info["caught"]), "caught" if info["caught"] else "missed"
    return frames, reward == 1.0, f"guess {int(info['prediction'])}, true {int(info['label'])}"


def _caption(frame: np.ndarray, text: str, colour: tuple[int, int, int]) -> Image.Image:
    picture = Image.new("RGB", (frame.shape[1], frame.shape[0] + 18), (0, 0, 0))
    picture.paste(Image.fromarray(frame), (0, 18))
    ImageDraw.Draw(picture).text((4, 3), text, fill=colour)
    return picture


def _grid(pictures: list[Image.Image], columns: int) -> Image.Image:
    width, height = pictures[0].size
    rows = -(-len(pictures) // columns)
    sheet = Image.new("RGB", (columns * (width + 4) + 4, rows * (height + 4) + 4), (40, 40, 40))
    for i, picture in enumerate(pictures):
        sheet.paste(picture, (4 + (i % columns) * (width + 4), 4 + (i // columns) * (height + 4)))
    return sheet


def save_glimpse_pictures(
    agent: Agent,
    env_id: str,
    out_dir: str | Path,
    n_images: int = 8,
    split: str = "test",
    columns: int = 4,
    **env_kwargs: Any,
) -> tuple[Path, Path]:
    """Draw the glimpse paths of the first ``n_images`` episodes of ``split`` (images, or games).

    Writes ``glimpse_paths.png`` (each finished episode, captioned with its outcome, the guess and the
    true class or whether the ball was caught, green if won, red if lost) and ``glimpse_paths.gif`` (the
    same episodes glimpse by glimpse).

    Returns:
        The paths of the PNG and the GIF.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    episodes = [glimpse_path_frames(agent, env_id, i, split, **env_kwargs) for i in range(n_images)]
    n_frames = max(len(frames) for frames, _, _ in episodes)
    sheets = []
    for t in range(n_frames):
        pictures = []
        for frames, won, outcome in episodes:
            last = t >= len(frames) - 1
            text = f"glimpse {min(t, len(frames) - 1) + 1}" + (f"  {outcome}" if last else "")
            colour = ((90, 255, 90) if won else (255, 80, 80)) if last else (255, 255, 255)
            pictures.append(_caption(frames[min(t, len(frames) - 1)], text, colour))
        sheets.append(_grid(pictures, min(columns, n_images)))
    png, gif = out_dir / "glimpse_paths.png", out_dir / "glimpse_paths.gif"
    sheets[-1].save(png)
    durations = [_GIF_MS_PER_FRAME] * (n_frames - 1) + [3 * _GIF_MS_PER_FRAME]
    sheets[0].save(gif, save_all=True, append_images=sheets[1:], duration=durations, loop=0)
    return png, gif


def save_learning_curves(metrics: str | Path, path: str | Path, title: str = "") -> Path:
    """Plot a run's learning curves from its ``metrics.jsonl`` (one JSON record per validation): the
    validation error and, where recorded, the training error, in percent (log scale), against the epoch
    (REINFORCE) or millions of env steps (SB3); the lowest validation error is marked.

    Args:
        metrics: the run's ``metrics.jsonl``.
        path: the PNG to write (its folder is made).
        title: the plot's title (e.g. the env id).

    Returns:
        ``path``.

    Raises:
        ValueError: ``metrics`` holds no validation record.
    """
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in Path(metrics).read_text().splitlines() if line.strip()]
    records = [r for r in records if "valid_error" in r]
    if not records:
        raise ValueError(f"{metrics}: no validation record to plot; train at least one epoch first")
    by_epoch = all("epoch" in r for r in records)
    x = np.array([r["epoch"] if by_epoch else r["timesteps"] / 1e6 for r in records], dtype=float)
    valid = 100 * np.array([r["valid_error"] for r in records])
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    if all("train_error" in r for r in records):
        axes.plot(x, [100 * r["train_error"] for r in records], color="tab:gray", lw=1, label="train error")
    axes.plot(x, valid, color="tab:blue", lw=1, label="validation error")
    best = int(np.argmin(valid))
    axes.plot(x[best], valid[best], "o", color="tab:red", label=f"lowest validation {valid[best]:.2f}%")
    axes.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(plain)
    axes.set_xlabel("epoch" if by_epoch else "env steps (millions)")
    axes.set_ylabel("error (%)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    axes.set_title(title)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
