"""ram-env: the Recurrent Attention Model's glimpse tasks (Mnih et al., 2014) as Gymnasium environments.

``import ram_env`` registers the paper's tasks::

    import gymnasium as gym
    import ram_env  # noqa: F401

    env = gym.make("GlimpseMNIST-v0")                      # one episode at a time
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=256)   # natively batched
    game = gym.make("GlimpseCatch-v0")                     # the paper's game of Catch
    own = gym.make("GlimpseImages-v0", source="my_images/")  # your own images (ram_env.image_env)
"""

from __future__ import annotations

import importlib.metadata as _metadata

from gymnasium.envs.registration import register

from ram_env.catch import CatchEnv, CatchVectorEnv
from ram_env.classification import GlimpseEnv, GlimpseTask, GlimpseVectorEnv
from ram_env.data.datasets import Dataset, load_dataset
from ram_env.data.idx import IDXFormatError, read_idx
from ram_env.data.image_checks import ImageDataError
from ram_env.data.image_set import ImageSet, load_images
from ram_env.image_env import IMAGES_ID, ImageGlimpseEnv, ImageGlimpseVectorEnv
from ram_env.retina import glimpse

__all__ = [
    "CATCH_ID",
    "CatchEnv",
    "CatchVectorEnv",
    "ENV_IDS",
    "GAME_IDS",
    "PAPER_ERRORS",
    "Dataset",
    "GlimpseEnv",
    "GlimpseTask",
    "GlimpseVectorEnv",
    "IDXFormatError",
    "IMAGES_ID",
    "ImageDataError",
    "ImageGlimpseEnv",
    "ImageGlimpseVectorEnv",
    "ImageSet",
    "glimpse",
    "load_dataset",
    "load_images",
    "read_idx",
]
try:
    __version__ = _metadata.version("ram-env")  # written once, in pyproject.toml
except _metadata.PackageNotFoundError:  # a checkout on sys.path that was never installed
    __version__ = "0+unknown"

# The paper's settings of each task (docs/design.md); every one can be overridden by keyword.
_TASKS = {
    "GlimpseMNIST-v0": dict(canvas_size=28, n_glimpses=6, glimpse_size=8, n_scales=1),
    "GlimpseTranslatedMNIST-v0": dict(canvas_size=60, n_glimpses=8, glimpse_size=12, n_scales=3),
    "GlimpseClutteredMNIST-v0": dict(canvas_size=60, n_clutter=4, n_glimpses=8, glimpse_size=12, n_scales=3),
    "GlimpseClutteredMNIST100-v0": dict(canvas_size=100, n_clutter=8, n_glimpses=8, glimpse_size=12, n_scales=4),
}
ENV_IDS = tuple(_TASKS)  # the classification tasks
CATCH_ID = "GlimpseCatch-v0"  # the game (reward only, no labels)
GAME_IDS = (CATCH_ID,)  # the tasks without a dataset: their episodes come from the seed alone
# The paper's best test error (%) at the registered number of glimpses.
PAPER_ERRORS = {
    "GlimpseMNIST-v0": 1.12,
    "GlimpseTranslatedMNIST-v0": 1.20,
    "GlimpseClutteredMNIST-v0": 4.04,
    "GlimpseClutteredMNIST100-v0": 8.0,
}

for _env_id, _kwargs in _TASKS.items():
    register(
        id=_env_id,
        entry_point="ram_env.classification:GlimpseEnv",
        vector_entry_point="ram_env.classification:GlimpseVectorEnv",
        kwargs=_kwargs,
    )

# Your own images: a classification task like ENV_IDS, but it needs source= (ram_env.image_env).
register(
    id=IMAGES_ID,
    entry_point="ram_env.image_env:ImageGlimpseEnv",
    vector_entry_point="ram_env.image_env:ImageGlimpseVectorEnv",
)

register(
    id=CATCH_ID,
    entry_point="ram_env.catch:CatchEnv",
    vector_entry_point="ram_env.catch:CatchVectorEnv",
)
