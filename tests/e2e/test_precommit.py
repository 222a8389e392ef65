"""The real `pre-commit try-repo` against a temporary git repo: a good and a bad recipe.

pre-commit builds the hook's environment from this repository (`pip install .`, the core
only: no torch, and the newest pydantic 2.x PyPI offers), so this also proves the core works
without the sparseml extra.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

GOOD = """modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 6.0
    update_frequency: 1.0
"""
BAD = GOOD.replace("final_sparsity: 0.8", "final_sparsty: 0.8")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """A snapshot of this project as a git repo (try-repo needs committed files)."""
    repo = tmp_path_factory.mktemp("hookrepo")
    for item in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "recipe_studio",
                 "schemas"):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, repo / item, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, repo / item)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "snapshot", cwd=repo)
    return repo


def run_try_repo(hook_repo: Path, work: Path, content: str, home: Path) -> subprocess.CompletedProcess:
    (work / "recipes").mkdir(parents=True, exist_ok=True)
    (work / "recipes" / "prune.yaml").write_text(content)
    (work / "other.yaml").write_text("not: [a, recipe\n")  # not matched by `files:`
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(hook_repo), "recipe-studio-lint",
                           "--all-files"], cwd=work, capture_output=True, text=True, env=env,
                          timeout=900)


def test_precommit_passes_good_and_fails_bad(hook_repo, tmp_path_factory):
    home = tmp_path_factory.mktemp("pre-commit-home")
    good = run_try_repo(hook_repo, tmp_path_factory.mktemp("good"), GOOD, home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    bad = run_try_repo(hook_repo, tmp_path_factory.mktemp("bad"), BAD, home)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "RS102" in bad.stdout
    assert "final_sparsity" in bad.stdout  # the did-you-mean made it through
    assert "other.yaml" not in bad.stdout
    # a suppression comment cannot hide a load error: the hook still fails
    hidden = BAD.replace("final_sparsty: 0.8", "final_sparsty: 0.8  # recipe-studio: disable=RS102")
    suppressed = run_try_repo(hook_repo, tmp_path_factory.mktemp("suppressed"), hidden, home)
    assert suppressed.returncode == 1, suppressed.stdout + suppressed.stderr
    assert "RS102" in suppressed.stdout and "RS902" in suppressed.stdout


def test_precommit_config_snippet_installs_the_core_only(hook_repo, tmp_path_factory):
    """The README's .pre-commit-config.yaml, pointing at this repo: the hook environment has
    the core without torch, and pydantic newer than SparseML 1.8 allows (the newest 2.x)."""
    home = tmp_path_factory.mktemp("pre-commit-home2")
    work = tmp_path_factory.mktemp("configured")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True,
                         text=True, check=True).stdout.strip()
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: recipe-studio-lint\n")
    (work / "recipes").mkdir()
    (work / "recipes" / "prune.yaml").write_text(GOOD)
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    run = subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=work, capture_output=True,
                         text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    envs = list(home.glob("repo*/py_env-*/bin/python"))
    assert envs, list(home.iterdir())
    probe = subprocess.run([str(envs[0]), "-c", "import pydantic, sys; "
                            "print(pydantic.VERSION); print('torch' in sys.modules)"],
                           capture_output=True, text=True, check=True)
    version, torch_loaded = probe.stdout.split()
    assert tuple(int(x) for x in version.split(".")[:2]) >= (2, 8), version
    assert torch_loaded == "False"
    assert subprocess.run([str(envs[0]), "-c", "import torch"], capture_output=True).returncode != 0
