"""The corpus switch, end to end: pytest in a copy of the repository with nothing beside it.

Without the corpus, collection succeeds, corpus tests are skipped with one reason that names
`RECIPE_STUDIO_CORPUS`, and the other tests run; `RECIPE_STUDIO_REQUIRE_CORPUS=1` (what
`.ci/run` sets) turns the skip into a failure; the corpus is found through the variable or at
its default place, `../shared/corpus` next to the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, CORPUS_ENV, REQUIRE_CORPUS_ENV, ROOT, require_corpus

pytestmark = pytest.mark.slow

#: one corpus test (parametrized over nothing, read at collection) and a few plain tests
SELECTION = ["tests/conformance/test_corpus.py::test_corpus_is_there",
             "tests/conformance/test_corpus.py::test_new_style_recipes_get_one_clear_diagnostic",
             "tests/cli/test_bad_input.py"]
#: a test someone adds that reads the corpus without the `corpus` mark
UNMARKED = "tests/test_reads_corpus_unmarked.py"
UNMARKED_TEXT = """from tests.conftest import CORPUS


def test_reads_the_corpus():
    assert (CORPUS / "expected.json").read_text()
"""


def copy_repo(dest: Path) -> Path:
    """The repository's files as git sees them (tracked and new, not ignored ones)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    repo = copy_repo(tmp_path_factory.mktemp("fresh") / "recipe-studio")
    (repo / UNMARKED).write_text(UNMARKED_TEXT)
    return repo


def pytest_in(repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in (CORPUS_ENV, REQUIRE_CORPUS_ENV, "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")}
    base.update(PYTHONPATH=str(repo), NM_DISABLE_ANALYTICS="1", **env)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "-rs", *args], cwd=repo, env=base, capture_output=True, text=True,
                          timeout=600)


def counts(out: str) -> dict[str, int]:
    last = out.strip().splitlines()[-1]
    return {k: int(n) for n, k in re.findall(r"(\d+) (passed|skipped|failed|errors?)", last)}


def test_without_the_corpus_collection_succeeds_and_corpus_tests_skip(clone):
    assert not (clone.parent / "shared").exists()
    collected = pytest_in(clone, "--collect-only", "tests")
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-2000:]
    assert "error" not in collected.stdout.strip().splitlines()[-1]

    run = pytest_in(clone, *SELECTION, UNMARKED)
    assert run.returncode == 0, run.stdout[-3000:]
    got = counts(run.stdout)
    assert got.get("skipped") == 3 and got.get("passed", 0) > 5 and "failed" not in got, got
    reasons = {line.split(": ", 1)[1] for line in run.stdout.splitlines()
               if line.startswith("SKIPPED")}
    assert len(reasons) == 1, reasons  # one reason, not "got empty parameter set"
    (reason,) = reasons
    assert CORPUS_ENV in reason and str(clone.parent / "shared" / "corpus") in reason, reason
    assert not list(clone.rglob("sparse_logs"))


def test_require_flag_turns_the_skip_into_a_failure(clone):
    run = pytest_in(clone, *SELECTION, UNMARKED, **{REQUIRE_CORPUS_ENV: "1"})
    assert run.returncode == 1, run.stdout[-3000:]
    got = counts(run.stdout)
    assert got.get("errors", got.get("error")) == 2 and got.get("failed") == 1, got
    assert "skipped" not in got, got
    assert got.get("passed", 0) > 5
    assert "corpus not found" in run.stdout and CORPUS_ENV in run.stdout


def test_the_corpus_is_found_through_the_variable_and_at_its_default_place(clone):
    corpus = require_corpus()
    run = pytest_in(clone, *SELECTION[:2], **{CORPUS_ENV: str(corpus),
                                              REQUIRE_CORPUS_ENV: "1"})
    assert run.returncode == 0, run.stdout[-3000:]
    assert counts(run.stdout).get("passed", 0) > 100 and "skipped" not in counts(run.stdout)

    shared = clone.parent / "shared"
    shared.mkdir()
    try:
        (shared / "corpus").symlink_to(CORPUS, target_is_directory=True)
        run = pytest_in(clone, SELECTION[0], UNMARKED, **{REQUIRE_CORPUS_ENV: "1"})
        assert run.returncode == 0 and counts(run.stdout) == {"passed": 2}, run.stdout[-3000:]
    finally:
        shutil.rmtree(shared)
