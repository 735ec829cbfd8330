"""Per-env default hyperparameters: the TOML files, their errors, and train_agent.py taking them."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import tomllib

import agents
import ram_env
from agents.cli import train as train_agent
from agents.cli.parser import SB3_SETTINGS, parse_flags
from agents.cli.settings import RunSettings, SB3Settings, prepare, sb3_settings_of
from agents.defaults import (
    HYPERPARAMS_DIR,
    LIBRARY_DEFAULTS,
    default_hyperparams,
    env_hyperparams,
    hyperparams_file,
    library_defaults,
)


def test_every_task_has_a_file_whose_tables_are_valid() -> None:
    for env_id in (*ram_env.ENV_IDS, *ram_env.GAME_IDS):
        assert hyperparams_file(env_id).is_file(), env_id
        table = default_hyperparams(env_id, "reinforce")
        config = agents.ReinforceConfig(**table)
        assert {key: getattr(config, key) for key in table} == table, env_id  # the file's values, unchanged
    assert agents.ReinforceConfig(**default_hyperparams("GlimpseCatch-v0", "reinforce")).core == "lstm"
    stems = sorted(p.stem for p in HYPERPARAMS_DIR.glob("*.toml"))
    assert stems == sorted((*ram_env.ENV_IDS, *ram_env.GAME_IDS, "defaults"))


def test_config_defaults_are_the_library_file_and_the_mnist_configuration() -> None:
    """``ReinforceConfig()``'s defaults, written in the dataclass, are the library's, which GlimpseMNIST-v0 runs
    as they are; defaults.toml holds no copy of them."""
    library = library_defaults("reinforce")
    defaults = agents.ReinforceConfig()
    assert "reinforce" not in tomllib.loads(LIBRARY_DEFAULTS.read_text())
    assert library == {name: getattr(defaults, name) for name in agents.ReinforceConfig.field_names() if name != "seed"}
    assert defaults.epochs == 230
    assert env_hyperparams("GlimpseMNIST-v0", "reinforce") == library


def test_every_config_field_has_its_help_on_the_command_line() -> None:
    help_text = " ".join(train_agent.build_parser("reinforce").format_help().split())
    for field in fields(agents.ReinforceConfig):
        assert field.metadata["help"], field.name
        if field.name != "seed":
            assert " ".join(field.metadata["help"].split()) in help_text, field.name


def test_missing_file_or_table_gives_no_defaults(tmp_path: Path) -> None:
    assert default_hyperparams("NoSuchEnv-v0", "reinforce") == {}
    (tmp_path / "X-v0.toml").write_text("[ppo]\nlearning_rate = 1e-3\n")
    assert default_hyperparams("X-v0", "reinforce", tmp_path) == {}
    assert default_hyperparams("X-v0", "ppo", tmp_path) == {"learning_rate": 1e-3}


def test_broken_files_are_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "Bad-v0.toml").write_text("[reinforce\nepochs = 3\n")
    with pytest.raises(ValueError, match="Bad-v0.toml: not valid TOML"):
        default_hyperparams("Bad-v0", "reinforce", tmp_path)
    (tmp_path / "Typo-v0.toml").write_text("[reinforce]\nepoch = 3\n")
    with pytest.raises(ValueError, match="Typo-v0.toml: \\[reinforce\\] has unknown keys \\['epoch'\\]"):
        default_hyperparams("Typo-v0", "reinforce", tmp_path)


def test_train_agent_takes_the_file_and_flags_override_it(tmp_path: Path) -> None:
    def settings(*argv: str) -> RunSettings:
        return prepare(parse_flags([*argv, "--run-dir", str(tmp_path)]))

    catch = settings("--env", "GlimpseCatch-v0").hyperparams
    assert catch == agents.ReinforceConfig(**default_hyperparams("GlimpseCatch-v0", "reinforce"))
    override = settings("--env", "GlimpseCatch-v0", "--learning-rate", "0.5").hyperparams
    assert isinstance(override, agents.ReinforceConfig)
    assert override.learning_rate == 0.5 and override.core == "lstm"
    ppo = settings("--algo", "ppo", "--hyperparams", "learning_rate=0.25")
    sb3 = ppo.hyperparams
    assert isinstance(sb3, SB3Settings)
    expected = env_hyperparams("GlimpseMNIST-v0", "ppo")
    assert sb3.num_envs == expected["num_envs"] and ppo.n_timesteps == expected["n_timesteps"]
    assert sb3.kwargs["learning_rate"] == 0.25 and sb3.kwargs["n_steps"] == expected["n_steps"]
    assert "num_envs" not in sb3.kwargs
    a2c = settings("--algo", "a2c", "--num-envs", "8").hyperparams
    assert isinstance(a2c, SB3Settings)
    assert a2c.num_envs == 8 and a2c.grid_size == SB3_SETTINGS["grid_size"]


def test_a_broken_shipped_file_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "GlimpseMNIST-v0.toml").write_text("[reinforce]\nbatch_size = 0\n")
    monkeypatch.setattr(
        "agents.cli.settings.default_hyperparams", lambda env_id, algo: default_hyperparams(env_id, algo, tmp_path)
    )
    monkeypatch.setattr("agents.cli.settings.hyperparams_file", lambda env_id: hyperparams_file(env_id, tmp_path))
    assert train_agent.main(["--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "GlimpseMNIST-v0.toml: batch_size must be an integer >= 1" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "config.json").exists()


@pytest.mark.parametrize("env_id", [*ram_env.ENV_IDS, *ram_env.GAME_IDS])
@pytest.mark.parametrize("algo", ["ppo", "recurrent_ppo", "a2c"])
def test_every_sb3_table_builds_its_agent(env_id: str, algo: str) -> None:
    """Each file's SB3 table names real keyword arguments (policy_kwargs included) of the class."""
    sb3 = sb3_settings_of(parse_flags(["--algo", algo, "--env", env_id]))
    agent = agents.SB3Agent(algo, env_id, num_envs=sb3.num_envs, seed=0, device="cpu", grid_size=sb3.grid_size,
                            location_init_std=sb3.location_init_std, hyperparams=dict(sb3.kwargs))  # fmt: skip
    assert agent.model.n_envs == sb3.num_envs
    for key, value in sb3.kwargs.items():
        if key != "policy_kwargs" and not str(value).startswith("lin_"):
            assert getattr(agent.model, key) == value, key
    for key, value in sb3.kwargs.get("policy_kwargs", {}).items():
        assert agent.model.policy_kwargs[key] == value
