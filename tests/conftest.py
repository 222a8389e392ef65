"""Shared fixtures: run the CLI in-process, and paths to data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = (ROOT.parent / "shared" / "corpus").resolve()

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


@pytest.fixture
def golden(request):
    """Compare text with tests/cli/golden/<name>.txt (rewrite it with --update-golden)."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = Path(__file__).parent / "cli" / "golden" / f"{name}.txt"
        if update or not path.exists():
            path.write_text(text)
        assert text == path.read_text(), f"golden {path.name} differs (rerun with --update-golden)"

    return check
