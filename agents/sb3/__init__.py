"""stable-baselines3 / sb3-contrib on the glimpse envs (importing any of these modules imports SB3).

- ``agents.sb3.agent``: ``SB3Agent`` (PPO, A2C, RecurrentPPO behind the project's agent interface);
- ``agents.sb3.vec_env``: ``make_sb3_vec_env``, SB3's ``VecEnv`` over the natively batched env;
- ``agents.sb3.extractor``: ``GlimpseFeaturesExtractor``, the paper's glimpse network for SB3's policies;
- ``agents.sb3.training``: ``SB3RunDirectoryCallback``, which keeps a run directory during ``learn``.
"""
