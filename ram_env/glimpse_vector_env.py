"""GlimpseVectorEnv: ``num_envs`` glimpse episodes stepped with one array operation per step."""

from __future__ import annotations

from pathlib import Path

from ram_env.core import BatchedVectorEnv
from ram_env.episodes import GlimpseEpisodes, GlimpseTask

__all__ = ["GlimpseVectorEnv"]


class GlimpseVectorEnv(BatchedVectorEnv):
    """A natively batched ``GlimpseEnv``: same task, spaces batched, no Python loop over the envs.

    ``gym.make_vec(id, num_envs=N)`` builds one. Sub-env ``i`` after ``reset(seed=s)`` plays exactly the
    episodes of a ``GlimpseEnv`` reset with ``seed=s + i`` (Gymnasium's seeding convention).

    ``gym.make_vec(id, num_envs=N, group_size=M)`` (``N`` a multiple of ``M``) groups the envs ``0..M-1``,
    ``M..2M-1``, ...: in every episode the ``M`` envs of a group see the same image on the same canvas (on
    the train split drawn afresh for each group; on valid and test the image's fixed canvas), each from
    its own first-glimpse location; this is what several rollouts of one image (a leave-one-out
    baseline) need. The seed rule then holds whole for each group's first env (``i`` a multiple of
    ``M``); every other env ``i`` plays its group's images and canvases, from the first-glimpse locations
    of a ``GlimpseEnv`` seeded ``s + i``. Groups are reset together: a ``reset_mask`` and an
    ``image_index`` option must be the same within each group. ``group_size=1`` is the default.

    Autoreset is same-step: the step that ends an episode returns the first observation of the next one;
    ``info["final_obs"]`` (batched like the observation) and ``info["final_info"]`` (``image_index``,
    ``label``, ``prediction``, ``is_correct``) hold the ended ones, with ``_final_obs``/``_final_info``
    masks; ``info["image_index"]`` is always there. ``reset(options=...)`` takes ``image_index`` (an int,
    or one per env) and ``reset_mask``. See ``ram_env.batched_env.BatchedVectorEnv``.

    Arguments are ``GlimpseEnv``'s, plus ``num_envs`` and ``group_size``; ``render_mode`` may be "rgb_array".
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
        group_size: int = 1,
    ) -> None:
        self.task = GlimpseTask(
            canvas_size, n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start, data_dir
        )
        super().__init__(GlimpseEpisodes(self.task, num_envs, group_size), render_mode)
