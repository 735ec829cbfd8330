"""Bad input to the envs: one seed rule for single and vector envs, reset options, actions and keyword
arguments are refused with a ValueError naming the argument (issue 16). Hypothesis throws generated
garbage at the validators."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from idx_files import write_dataset

import ram_env
from ram_env.validation import check_location, check_seed

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def env() -> gym.Env:
    return gym.make("GlimpseMNIST-v0").unwrapped


@pytest.fixture(scope="module")
def envs() -> gym.vector.VectorEnv:
    return gym.make_vec("GlimpseMNIST-v0", num_envs=4)


BAD_SEEDS = [1.5, "3", -1, 2**64, 2**70, True, np.float64(2.0), [1], 1 + 0j]


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_single_and_vector_env_refuse_the_same_seeds_with_one_message(
    seed: object, env: gym.Env, envs: gym.vector.VectorEnv
) -> None:
    for target in (env, envs):
        with pytest.raises(ValueError, match=r"^seed must be None or an integer in \[0, 2\*\*64\)"):
            target.reset(seed=seed)


@pytest.mark.parametrize("seed", [[0, -1, 2, 3], [0, 1.5, 2, 3], ["0", 1, 2, 3], [0, 1, 2], [0, 1, 2, 2**64]], ids=repr)
def test_vector_env_refuses_a_bad_seed_list(seed: list, envs: gym.vector.VectorEnv) -> None:
    with pytest.raises(ValueError, match=r"or a list of 4 of them \(one per env\), got"):
        envs.reset(seed=seed)


@pytest.mark.parametrize("seed", [0, 2**63, 2**64 - 4, np.uint64(2**64 - 1), np.int32(7)], ids=repr)
def test_large_and_numpy_seeds_work_and_sub_env_i_plays_seed_plus_i(
    seed: object, env: gym.Env, envs: gym.vector.VectorEnv
) -> None:
    obs, info = envs.reset(seed=seed)
    for i in range(4):
        single, single_info = env.reset(seed=(int(seed) + i) % 2**64)
        np.testing.assert_array_equal(obs["glimpse"][i], single["glimpse"])
        assert info["image_index"][i] == single_info["image_index"]


def test_seed_list_of_numpy_uint64(envs: gym.vector.VectorEnv) -> None:
    seeds = np.array([2**64 - 1, 0, 5, 2**63], dtype=np.uint64)
    np.testing.assert_array_equal(check_seed(seeds, 4), seeds)
    envs.reset(seed=seeds)


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.booleans(), st.lists(st.integers(), max_size=5)))
def test_seed_rule_property(seed: object) -> None:
    """Every value is either an accepted seed (an int in [0, 2**64), or 3 of them) or a ValueError naming seed."""
    ok_int = isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**64
    ok_list = isinstance(seed, list) and len(seed) == 3 and all(0 <= s < 2**64 for s in seed)
    if ok_int or ok_list:
        assert check_seed(seed, 3).tolist() == seed
    else:
        with pytest.raises(ValueError, match="^seed must be"):
            check_seed(seed, 3)


def test_reset_mask_before_the_first_reset_is_a_clear_error() -> None:
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=3)
    with pytest.raises(ValueError, match=r"none has started yet: call reset\(\) without reset_mask first"):
        envs.reset(options={"reset_mask": np.array([True, False, True])})
    envs.reset(options={"reset_mask": np.array([True, True, True])})  # a full reset is fine


@pytest.mark.parametrize("options", [5, "image_index", [("image_index", 3)]], ids=repr)
def test_options_that_are_not_a_dict(options: object, env: gym.Env, envs: gym.vector.VectorEnv) -> None:
    for target in (env, envs):
        with pytest.raises(ValueError, match=r"^options must be a dict \(e.g. \{'image_index': 3\}\) or None"):
            target.reset(options=options)


@pytest.mark.parametrize(
    "location",
    [
        ["0.5", "0.1"],
        np.array(["0.5", "0.1"]),
        [0.5 + 1j, 0.0],
        np.array([1 + 2j, 0]),
        np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
        [datetime.date(2020, 1, 1), 0.0],
        [True, False],
        [None, 0.0],
        [[0.1], 0.2],
    ],
    ids=repr,
)
def test_locations_that_are_not_real_numbers(location: object, env: gym.Env) -> None:
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"^action\['location'\] must be real numbers \(x, y\)"):
        env.step({"location": location, "label": 0})


@pytest.mark.parametrize(
    "location", [[10**400, 0], [-(10**400), 0.5], [np.inf, 0.0], [0.0, np.nan]], ids=["1e400", "-1e400", "inf", "nan"]
)
def test_huge_and_non_finite_locations(location: list, env: gym.Env) -> None:
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"^action\['location'\] must be finite"):
        env.step({"location": location, "label": 0})


def test_large_but_finite_location_is_clipped(env: gym.Env) -> None:
    env.reset(seed=0)
    obs, *_ = env.step({"location": [2**70, -1e300], "label": 0})
    np.testing.assert_array_equal(obs["location"], [1.0, -1.0])


def _finite_real(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int beyond float
        return False


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(), st.integers(), st.text(max_size=3), st.complex_numbers(), st.none()),
        min_size=2,
        max_size=2,
    )
)
def test_location_property(location: list) -> None:
    """A location pair is accepted exactly when both are real, finite numbers; else a ValueError naming it."""
    if all(_finite_real(v) for v in location):
        assert check_location(location).tolist() == [float(v) for v in location]
    else:
        with pytest.raises(ValueError, match=r"^action\['location'\] must be"):
            check_location(location)


def test_extra_action_keys_are_refused(env: gym.Env, envs: gym.vector.VectorEnv) -> None:
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"^action has unknown keys \['move'\]: it takes only 'location' and 'label'"):
        env.step({"location": [0.0, 0.0], "label": 0, "move": 1})
    game = gym.make("GlimpseCatch-v0")
    game.reset(seed=0)
    with pytest.raises(ValueError, match=r"^action has unknown keys \['label'\]: it takes only 'location' and 'move'"):
        game.step({"location": [0.0, 0.0], "move": 1, "label": 3})
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"^action has unknown keys \['extra'\]"):
        envs.step({"location": np.zeros((4, 2)), "label": np.zeros(4, dtype=np.int64), "extra": 0})


@pytest.mark.parametrize("data_dir", [123, 4.5, ["a"]], ids=repr)
def test_data_dir_that_is_not_a_path(data_dir: object) -> None:
    for make in (
        lambda: gym.make("GlimpseMNIST-v0", data_dir=data_dir),
        lambda: gym.make_vec("GlimpseMNIST-v0", num_envs=2, data_dir=data_dir),
    ):
        with pytest.raises(ValueError, match=r"^data_dir must be a folder path \(str or pathlib.Path\) or None"):
            make()


def test_n_scales_has_an_upper_bound() -> None:
    # 28x28 canvas, 8-pixel patches: scale 3 (64 pixels) is the first to reach twice the canvas, so 4 scales.
    assert ram_env.retina.max_scales(28, 28, 8) == 4
    assert ram_env.retina.max_scales(24, 24, 6) == 4  # 6, 12, 24, 48
    assert ram_env.retina.max_scales(10, 10, 64) == 1
    env = gym.make("GlimpseMNIST-v0", n_scales=4)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    for n_scales in (5, 64, 65, 200):
        with pytest.raises(ValueError, match=r"^n_scales \d+ is more than a 28x28 canvas can use with glimpse_size 8"):
            gym.make("GlimpseMNIST-v0", n_scales=n_scales)
        with pytest.raises(ValueError, match=r"use n_scales <= 4"):
            gym.make_vec("GlimpseCatch-v0", num_envs=2, n_scales=n_scales + 1)


def test_an_empty_split_is_a_clear_error(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "empty_test", n_test=0)
    with pytest.raises(ram_env.IDXFormatError, match="the test files hold no images"):
        ram_env.load_dataset(folder)


@FAST
@given(options=st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=3)), max_size=3))
def test_unknown_reset_options_name_the_keys(options: dict, env: gym.Env) -> None:
    if not options or set(options) == {"image_index"}:
        return
    with pytest.raises(ValueError, match=r"^unknown reset options"):
        env.reset(options=options)
