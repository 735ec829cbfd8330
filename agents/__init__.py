"""Learning agents for the ram-env glimpse tasks, used through stable-baselines3's interface.

    import agents
    agent = agents.ReinforceRAM("GlimpseMNIST-v0")
    agent.learn(progress_bar=True)
    agent.save("ram.pt")
    agent = agents.load("ram.pt")
    print(agents.evaluate(agent, "GlimpseMNIST-v0", split="test")["error"])
"""

from agents.callbacks import RunDirectoryCallback, TrainingCallback
from agents.checkpoints import load
from agents.config import ReinforceConfig
from agents.evaluation import RandomLocations, evaluate
from agents.networks import RecurrentAttentionModel
from agents.reinforce import ReinforceRAM

__all__ = [
    "RandomLocations",
    "RecurrentAttentionModel",
    "ReinforceConfig",
    "ReinforceRAM",
    "RunDirectoryCallback",
    "TrainingCallback",
    "evaluate",
    "load",
]
