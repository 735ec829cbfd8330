"""Learning agents for the ram-env glimpse tasks, used through stable-baselines3's interface.

    import agents
    agent = agents.ReinforceRAM("GlimpseMNIST-v0")
    agent.learn(progress_bar=True)
    agent.save("ram.pt")
    agent = agents.load("ram.pt")
    print(agents.evaluate(agent, "GlimpseMNIST-v0", split="test")["error"])
    agent = agents.load_pretrained("GlimpseClutteredMNIST-v0")        # a shipped trained agent

    agent = agents.SB3Agent("recurrent_ppo", "GlimpseMNIST-v0")   # stable-baselines3 / sb3-contrib
    agent = agents.RAMPPO("GlimpseCatch-v0")                      # the project's own recurrent PPO

``import agents`` does not import stable-baselines3: ``agents.SB3Agent`` (``agents.sb3.agent``) loads it
when first used.
"""

from typing import TYPE_CHECKING, Any

from agents.callbacks import RunDirectoryCallback, TrainingCallback
from agents.checkpoints import load
from agents.config import ReinforceConfig
from agents.evaluation import RandomLocations, evaluate
from agents.networks import RecurrentAttentionModel
from agents.pretrained import available_pretrained, load_pretrained, pretrained_dir
from agents.recurrent_ppo import RAMPPO, RecurrentPPOConfig
from agents.reinforce import ReinforceRAM
from ram_env import __version__ as __version__  # the ram-env distribution's (pyproject.toml), as ram_env's

if TYPE_CHECKING:
    from agents.sb3.agent import SB3Agent

__all__ = [
    "RAMPPO",
    "RandomLocations",
    "RecurrentAttentionModel",
    "RecurrentPPOConfig",
    "ReinforceConfig",
    "ReinforceRAM",
    "RunDirectoryCallback",
    "SB3Agent",
    "TrainingCallback",
    "available_pretrained",
    "evaluate",
    "load",
    "load_pretrained",
    "pretrained_dir",
]


def __getattr__(name: str) -> Any:
    """``agents.SB3Agent``, imported on first use so that ``import agents`` needs no stable-baselines3."""
    if name == "SB3Agent":
        from agents.sb3.agent import SB3Agent

        return SB3Agent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
