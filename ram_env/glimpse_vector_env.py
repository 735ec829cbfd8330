"""GlimpseVectorEnv: ``num_envs`` glimpse episodes stepped with one array operation per step."""

from __future__ import annotations

from pathlib import Path

from ram_env.batched_env import BatchedVectorEnv
from ram_env.episodes import GlimpseEpisodes, GlimpseTask

__all__ = ["GlimpseVectorEnv"]


class GlimpseVectorEnv(BatchedVectorEnv):
    """A natively batched ``GlimpseEnv``: same task, spaces batched, no Python loop over the envs.

    ``gym.make_vec(id, num_envs=N)`` builds one. Sub-env ``i`` after ``reset(seed=s)`` plays exactly the
    episodes of a ``GlimpseEnv`` reset with ``seed=s + i`` (Gymnasium's seeding convention).

    Autoreset is same-step: the step that ends an episode returns the first observation of the next one;
    ``info["final_obs"]`` (batched like the observation) and ``info["final_info"]`` (``image_index``,
    ``label``, ``prediction``, ``is_correct``) hold the ended ones, with ``_final_obs``/``_final_info``
    masks; ``info["image_index"]`` is always there. ``reset(options=...)`` takes ``image_index`` (an int,
    or one per env) and ``reset_mask``. See ``ram_env.batched_env.BatchedVectorEnv``.

    Arguments are ``GlimpseEnv``'s, plus ``num_envs``; ``render_mode`` may be "rgb_array".
    """

    def __init__(
        self,
        num_envs: int,
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
        self.task = GlimpseTask(
            canvas_size, n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start, data_dir
        )
        super().__init__(GlimpseEpisodes(self.task, num_envs), render_mode)
