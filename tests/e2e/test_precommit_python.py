"""The real `pre-commit try-repo` on Python scripts that build a recipe (read/python.py): the
lint hook checks them, and leaves every other Python file alone."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_precommit import PRE_COMMIT, git, hook_repo  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SCRIPT = """from llmcompressor import oneshot
from llmcompressor.modifiers.quantization import GPTQModifier
from llmcompressor.modifiers.smoothquant import SmoothQuantModifier

recipe = [
    SmoothQuantModifier(smoothing_strength=0.8),
    GPTQModifier(targets="Linear", scheme="W8A8", ignore=["lm_head"]),
]
oneshot(model="m", recipe=recipe)
"""


def run(hook_repo: Path, work: Path, script: str, home: Path) -> subprocess.CompletedProcess:
    (work / "examples").mkdir(parents=True, exist_ok=True)
    (work / "examples" / "quantize_llama.py").write_text(script)
    (work / "train.py").write_text("def f(:\n")  # no modifiers (and not even Python): untouched
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(hook_repo), "recipe-studio-lint",
                           "--all-files"], cwd=work, capture_output=True, text=True, env=env,
                          timeout=900)


def test_precommit_checks_recipe_scripts(hook_repo, tmp_path_factory):  # noqa: F811
    home = tmp_path_factory.mktemp("pre-commit-home-py")
    good = run(hook_repo, tmp_path_factory.mktemp("pygood"), SCRIPT, home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    bad = run(hook_repo, tmp_path_factory.mktemp("pybad"),
              SCRIPT.replace('scheme="W8A8"', 'scheme="W8A9"'), home)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "RS220" in bad.stdout
    assert "examples/quantize_llama.py:7:" in bad.stdout  # the script's own line
    assert "train.py" not in bad.stdout
