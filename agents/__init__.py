"""Learning agents for the ram-env glimpse tasks, used through stable-baselines3's interface.

    import agents
    agent = agents.ReinforceRAM("GlimpseMNIST-v0")
    agent.learn(progress_bar=True)
    agent.save("ram.pt")
    agent = agents.load("ram.pt")
    print(agents.evaluate(agent, "GlimpseMNIST-v0", split="test")["error"])

    agent = agents.SB3Agent("recurrent_ppo", "GlimpseMNIST-v0")   # stable-baselines3 / sb3-contrib
"""

from agents.callbacks import RunDirectoryCallback, TrainingCallback
from agents.checkpoints import load
from agents.config import ReinforceConfig
from agents.evaluation import RandomLocations, evaluate
from agents.networks import RecurrentAttentionModel
from agents.reinforce import ReinforceRAM
from agents.sb3_agent import SB3Agent

__all__ = [
    "RandomLocations",
    "RecurrentAttentionModel",
    "ReinforceConfig",
    "ReinforceRAM",
    "RunDirectoryCallback",
    "SB3Agent",
    "TrainingCallback",
    "evaluate",
    "load",
]
