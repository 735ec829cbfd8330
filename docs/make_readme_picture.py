"""Draw docs/glimpses.png, the README's picture: test image 7 of each task, four glimpses on a fixed path."""

from __future__ import annotations

from pathlib import Path

import cv2
import gymnasium as gym
import numpy as np

import ram_env

PATH = [(0.2, 0.25), (0.45, 0.4), (0.5, 0.6)]  # after the first glimpse, at the centre


def main() -> None:
    frames = []
    for env_id in ram_env.ENV_IDS:
        env = gym.make(env_id, split="test", start="center", render_mode="rgb_array")
        env.reset(seed=0, options={"image_index": 7})
        for x, y in PATH:
            env.unwrapped.step({"location": np.array([x, y], np.float32), "label": 0})
        frames.append(cv2.resize(env.render(), (300, 300), interpolation=cv2.INTER_NEAREST))
    picture = np.concatenate([np.pad(f, ((4, 4), (4, 4), (0, 0)), constant_values=255) for f in frames], axis=1)
    out = Path(__file__).with_name("glimpses.png")
    cv2.imwrite(str(out), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
