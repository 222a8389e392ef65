"""Shared fixtures: run the CLI in-process, and paths to data.

The shared corpus (583 real recipes and SparseML's reading of them) is not part of the
repository. Tests find it through `RECIPE_STUDIO_CORPUS` (default `../shared/corpus`,
relative to the repository root). Tests that need it are marked `corpus` (or call
`require_corpus()`, as `tests.conformance.corpus.expected()` does); without the corpus they
are skipped with one reason that says what to set, and with `RECIPE_STUDIO_REQUIRE_CORPUS=1`
(set by `.ci/run`) they fail instead. Collection never reads the corpus.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: environment variables: where the corpus is, and whether its absence is a failure
CORPUS_ENV = "RECIPE_STUDIO_CORPUS"
REQUIRE_CORPUS_ENV = "RECIPE_STUDIO_REQUIRE_CORPUS"


def corpus_dir() -> Path:
    """`$RECIPE_STUDIO_CORPUS` (relative paths are taken from the repository root), else
    `../shared/corpus`."""
    raw = os.environ.get(CORPUS_ENV, "").strip()
    path = Path(raw).expanduser() if raw else Path("..") / "shared" / "corpus"
    return (ROOT / path).resolve()


CORPUS = corpus_dir()


def corpus_available() -> bool:
    return (CORPUS / "expected.json").is_file()


def corpus_required() -> bool:
    return os.environ.get(REQUIRE_CORPUS_ENV, "").strip().lower() not in ("", "0", "false", "no")


CORPUS_REASON = (f"corpus not found: no expected.json in {CORPUS} (set {CORPUS_ENV} to the "
                 f"shared corpus directory; {REQUIRE_CORPUS_ENV}=1 makes this a failure)")


def require_corpus() -> Path:
    """The corpus directory; skips the running test when it is absent (fails it when
    `RECIPE_STUDIO_REQUIRE_CORPUS` is set)."""
    if corpus_available():
        return CORPUS
    if corpus_required():
        pytest.fail(CORPUS_REASON, pytrace=False)
    pytest.skip(CORPUS_REASON)



def require_judge(library: str) -> str:
    """The interpreter of `library`'s environment (`sparseml` or `llmcompressor`). `make
    install` creates both, so a missing one fails the test with what to run (never a skip:
    a skipped judge proves nothing)."""
    from recipe_studio.judges import available, python_for

    why = available(library)
    if why is not None:
        pytest.fail(f"{library} environment unavailable: {why}", pytrace=False)
    return python_for(library)


os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run `recipe-studio ARGS...` in-process; returns exit code, stdout and stderr."""
    from recipe_studio.cli import main

    monkeypatch.setenv("COLUMNS", "120")

    def run(*args: str, cwd: Path | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/cli/golden/*.txt from the current output")
    parser.addoption("--update-docs", action="store_true", default=False,
                     help="rewrite the output blocks of README.md and docs/*.md from real runs")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"corpus: needs the shared corpus (${CORPUS_ENV}, default ../shared/corpus)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # before the skip marks are evaluated: a test parametrized over the (absent) corpus has an
    # empty parameter set, and its reason must be this one, not "got empty parameter set"
    if item.get_closest_marker("corpus") is not None:
        require_corpus()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that reads a file under the absent corpus without the `corpus` mark is skipped
    (or failed, when the corpus is required) with the same reason, not a FileNotFoundError."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or corpus_available() or not report.failed:
        return
    err = call.excinfo.value
    if isinstance(err, FileNotFoundError) and err.filename and \
            Path(err.filename).resolve().is_relative_to(CORPUS):
        if corpus_required():
            report.longrepr = CORPUS_REASON
        else:
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {CORPUS_REASON}")


GOLDEN_DIR = Path(__file__).parent / "cli" / "golden"


@pytest.fixture
def golden(request):
    """Compare text with tests/cli/golden/<name>.txt; `--update-golden` (re)writes it. A
    missing golden file is a failure, never written and then compared with itself."""
    return golden_checker(update=request.config.getoption("--update-golden"))


def golden_checker(*, update: bool):
    """The `golden` fixture's check; with `update`, (re)write the file first."""

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / f"{name}.txt"
        if update:
            path.write_text(text)
        assert path.exists(), f"missing golden file {path}: run with --update-golden"
        assert text == path.read_text(), f"golden {path.name} differs (rerun with --update-golden)"

    return check
