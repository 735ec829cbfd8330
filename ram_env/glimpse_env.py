"""GlimpseEnv: classify an image by looking at it through a small multi-scale retina."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ram_env.episodes import GlimpseEpisodes, GlimpseTask, validate_action
from ram_env.rendering import HumanWindow, draw_glimpses

__all__ = ["GlimpseEnv"]


class GlimpseEnv(gym.Env):
    """The Recurrent Attention Model's task (Mnih et al., 2014) as a Gymnasium environment.

    ## Description
    An image (an MNIST digit, possibly translated on a larger canvas and surrounded by clutter) is
    hidden from the agent, which sees it only through a retina: ``k`` square patches centred on one
    location, patch ``i`` covering ``g * 2**i`` pixels, each area-averaged down to ``g x g``. At each
    step the agent chooses where to look next; at the last step it names the class.

    ## Action Space
    ``Dict(location=Box(-1, 1, (2,), float32), label=Discrete(n_classes))``. ``location`` is ``(x, y)``,
    ``(-1, -1)`` the top-left corner and ``(0, 0)`` the centre; values outside [-1, 1] are clipped.
    ``label`` is read at the last step only. NaN or inf, a label out of range, or a wrongly shaped
    action raises ``ValueError`` naming the field.

    ## Observation Space
    ``Dict(glimpse=Box(0, 1, (k, g, g), float32), location=Box(-1, 1, (2,), float32))``: the retina
    patches (pixel values / 255, scale 0 first) and the location they were taken at.

    ## Rewards
    0 at every step but the last, where it is 1.0 if ``label`` is the image's class, else 0.0.

    ## Starting State
    A random image of the split (or ``options={"image_index": i}``) on a fresh canvas; the first
    glimpse is at a uniformly random location (``start="center"``: at the centre).

    ## Episode End
    After ``n_glimpses`` steps (terminated). The agent sees ``n_glimpses`` glimpses: the reset's and
    those of the first ``n_glimpses - 1`` steps. There is no truncation.

    ## Info
    ``image_index`` always; at the end also ``label`` (the true class, for the paper's hybrid
    supervised loss), ``prediction`` and ``is_correct``.

    ## Arguments
    ``canvas_size``, ``n_clutter``, ``clutter_size``, ``n_glimpses``, ``glimpse_size``, ``n_scales``,
    ``split`` ("train": first 55,000 training images, canvases drawn afresh each episode; "valid": the
    last 5,000; "test": the 10,000 test images; on valid and test the canvas is a fixed function of the
    image index), ``start`` ("random" or "center"), ``data_dir`` (a folder of MNIST-format IDX files,
    default the MNIST shipped with ram_env), ``render_mode`` ("rgb_array" or "human").
    See ``ram_env.episodes.GlimpseTask``.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        canvas_size: int = 28,
        n_clutter: int = 0,
        clutter_size: int = 8,
        n_glimpses: int = 6,
        glimpse_size: int = 8,
        n_scales: int = 1,
        split: str = "train",
        start: str = "random",
        data_dir: str | Path | None = None,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.task = GlimpseTask(
            canvas_size, n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start, data_dir
        )
        self._episodes = GlimpseEpisodes(self.task, 1)
        self.observation_space = self.task.observation_space()
        self.action_space = self.task.action_space(self._episodes.n_classes)
        self.render_mode = render_mode
        self._window: HumanWindow | None = None
        self._started = self._done = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """Start an episode. ``options={"image_index": i}`` shows image ``i`` of the split."""
        super().reset(seed=seed)
        episodes = self._episodes
        if seed is not None:
            episodes.seed(np.array([seed]))
        elif not self._started:
            episodes.seed(self.np_random.integers(0, 2**63 - 1, size=1))
        image_index = None
        if options is not None and "image_index" in options:
            image_index = episodes.check_image_index(options["image_index"], (1,))
        glimpse, location = episodes.reset(None, image_index)
        self._started, self._done = True, False
        if self.render_mode == "human":
            self.render()
        return {"glimpse": glimpse[0], "location": location[0]}, {"image_index": int(episodes.image_index[0])}

    def step(self, action: dict[str, Any]) -> tuple[dict, float, bool, bool, dict]:
        """Move the retina to ``action["location"]``; at the last step, judge ``action["label"]``."""
        if not self._started or self._done:
            raise RuntimeError("step() called before reset() or after the episode ended: call reset() first")
        location, label = validate_action(action, (), self.action_space["label"].n)
        episodes = self._episodes
        glimpse, location, reward, terminated = episodes.step(location[None], label[None])
        info: dict[str, Any] = {"image_index": int(episodes.image_index[0])}
        self._done = bool(terminated[0])
        if self._done:
            info.update(label=int(episodes.label[0]), prediction=int(label), is_correct=bool(reward[0] == 1.0))
        if self.render_mode == "human":
            self.render()
        return {"glimpse": glimpse[0], "location": location[0]}, float(reward[0]), self._done, False, info

    def render(self) -> np.ndarray | None:
        """An RGB picture of the canvas, the glimpse path so far and the retina's squares ("rgb_array"),
        or the same shown in a window ("human")."""
        if self.render_mode is None:
            gym.logger.warn('render() called without a render_mode: make the env with render_mode="rgb_array"')
            return None
        if not self._started:
            raise RuntimeError("render() called before reset(): call reset() first")
        episodes = self._episodes
        frame = draw_glimpses(
            episodes.canvas(0), episodes.path[0, : episodes.steps[0] + 1], self.task.glimpse_size, self.task.n_scales
        )
        if self.render_mode == "rgb_array":
            return frame
        if self._window is None:
            self._window = HumanWindow(type(self).__name__, self.metadata["render_fps"])
        self._window.show(frame)
        return None

    def close(self) -> None:
        """Close the render window, if any."""
        if self._window is not None:
            self._window.close()
            self._window = None
