"""The documentation's code runs as it stands.

- Every ```python block of README.md, CONTRIBUTING.md and docs/*.md is executed, each in a fresh namespace
  with a temporary folder as the working directory, so that nothing is written into the repository
  (``test_python_block``, one test per file and block index). One rule changes a block: in a block that
  contains ``model.learn(``, the lines that start with ``model.learn(`` are left out, so that the
  documentation may show a real training length (stable-baselines3 for 100,000 steps);
  ``test_sb3_snippet_uses_the_projects_settings`` checks that the model such a block builds takes the steps
  it asks for. Every other block must be quick as written: one that takes more than about 5 s is marked
  slow (``SLOW``).
- Every ``python -c "..."`` command of a ```bash block runs in a subprocess (``test_python_c_command``); the
  other shell commands are not run (they install, train or benchmark).
- Every relative link of those pages, and its ``#anchor``, points at something (``test_relative_links``).
- The SB3 snippets of docs/plugging_in.md build their models with the project's own settings (the env's
  hyperparameter file over the library's defaults), not SB3's defaults, so that their ``model.learn`` calls
  take the number of env steps they ask for (issue 16).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from agents.defaults import env_hyperparams

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    "README.md",
    "CONTRIBUTING.md",
    *sorted(str(path.relative_to(REPO)) for path in (REPO / "docs").glob("*.md")),
]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)
LEARN = "model.learn("
# The blocks that take more than about 5 s, by a text that only they hold in their document.
SLOW = {
    "README.md": ["agents.load_pretrained("],
    "docs/training.md": ["agents.ReinforceRAM("],
}


def blocks(document: str, language: str) -> list[str]:
    """The fenced blocks of ``document`` in ``language`` (``python``, ``bash``), in order."""
    return [body for lang, body in FENCE.findall((REPO / document).read_text()) if lang == language]


def runnable(block: str) -> str:
    """``block`` as the tests run it: without its ``model.learn(`` lines if it has any (the module's rule)."""
    if LEARN not in block:
        return block
    return "\n".join(line for line in block.splitlines() if not line.startswith(LEARN))


def python_blocks() -> Iterator[object]:
    for document in DOCUMENTS:
        for index, block in enumerate(blocks(document, "python")):
            slow = any(marker in block for marker in SLOW.get(document, []))
            yield pytest.param(document, index, marks=[pytest.mark.slow] if slow else [], id=f"{document}:{index}")


def python_c_commands() -> Iterator[object]:
    for document in DOCUMENTS:
        for block in blocks(document, "bash"):
            for match in re.finditer(r"""python -c (["'])(.*?)\1""", block):
                # slow: a new interpreter that imports torch takes more than 5 s on a busy 2-core machine
                yield pytest.param(match.group(2), marks=pytest.mark.slow, id=f"{document}:{match.group(2)[:40]}")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread while a block runs (the blocks are small; the suite may share the machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_every_page_is_found_and_has_code() -> None:
    assert {"README.md", "docs/tasks.md", "docs/training.md", "docs/own_images.md"} <= set(DOCUMENTS)
    assert blocks("README.md", "python") and blocks("docs/tasks.md", "python")


@pytest.mark.parametrize(("document", "index"), list(python_blocks()))
def test_python_block(
    document: str, index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_thread: None
) -> None:
    monkeypatch.chdir(tmp_path)
    block = runnable(blocks(document, "python")[index])
    exec(compile(block, f"{document}, python block {index}", "exec"), {"__name__": "__doc__"})  # noqa: S102


@pytest.mark.parametrize("code", list(python_c_commands()))
def test_python_c_command(code: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def anchors(document: str) -> set[str]:
    """GitHub's anchors of ``document``'s headings (outside code blocks): lower case, punctuation dropped,
    spaces as hyphens, a repeated one numbered ``-1``, ``-2``, ..."""
    text = FENCE.sub("", (REPO / document).read_text())
    found: set[str] = set()
    counts: dict[str, int] = {}
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = counts.get(slug, 0)
        found.add(slug if count == 0 else f"{slug}-{count}")
        counts[slug] = count + 1
    return found


@pytest.mark.parametrize("document", DOCUMENTS)
def test_relative_links(document: str) -> None:
    text = FENCE.sub("", (REPO / document).read_text())
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        linked = (REPO / document).parent / path if path else REPO / document
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(str(linked.resolve().relative_to(REPO))):
            broken.append(target)
    assert not broken, f"{document}: {broken}"


def snippet(document: str, marker: str) -> str:
    """The python block of ``document`` that contains ``marker``, without its ``model.learn`` line."""
    (block,) = [b for b in blocks(document, "python") if marker in b]
    assert "model.learn(100_000)" in block
    return runnable(block)


@pytest.mark.parametrize(
    ("document", "marker", "algo"),
    [("docs/plugging_in.md", "model = PPO(", "ppo"), ("docs/plugging_in.md", "model = RecurrentPPO(", "recurrent_ppo")],
)
def test_sb3_snippet_uses_the_projects_settings(document: str, marker: str, algo: str, one_thread: None) -> None:
    namespace: dict = {}
    exec(snippet(document, marker), namespace)  # noqa: S102 - the documentation's own code
    model, table = namespace["model"], env_hyperparams("GlimpseMNIST-v0", algo)
    assert model.n_envs == table["num_envs"]
    for key in ("n_steps", "batch_size", "n_epochs", "gamma", "ent_coef"):
        assert getattr(model, key) == table[key], key
    learning_rate = table["learning_rate"]
    if isinstance(learning_rate, str):  # "lin_X": X at the start, 0 at the end
        start = float(learning_rate[4:])
        assert (model.learning_rate(1.0), model.learning_rate(0.0)) == (start, 0.0)
    else:
        assert model.learning_rate == learning_rate
    for key, value in table.get("policy_kwargs", {}).items():
        assert model.policy_kwargs[key] == value, key
