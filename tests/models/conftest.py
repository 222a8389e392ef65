"""SparseML in-process, for the conformance tests (test_signatures, test_differential).

SparseML is imported once per session, lazily, so the pure model tests never import it.
Every SparseML call runs in a temporary working directory (SparseML writes `sparse_logs/`
into the cwd), which is restored right after.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def recipe_text(tag: str, args: dict[str, Any]) -> str:
    """A one-modifier recipe; `yaml.dump` keeps the Python types of the values."""
    if not args:
        return f"modifiers:\n  - !{tag}\n"
    body = yaml.dump(args, default_flow_style=False, sort_keys=True)
    body = "\n".join("    " + line for line in body.splitlines())
    return f"modifiers:\n  - !{tag}\n{body}\n"


class SparseML:
    """Loads one-modifier recipes with SparseML's ScheduledModifierManager."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        with _cwd(workdir):
            from sparseml.pytorch.optim import ScheduledModifierManager

        self.manager = ScheduledModifierManager

    def load(self, tag: str, args: dict[str, Any]) -> tuple[bool, str]:
        """(True, class name) when `from_yaml` succeeds, else (False, the error)."""
        text = recipe_text(tag, args)
        with _cwd(self.workdir):
            try:
                manager = self.manager.from_yaml(text)
            except Exception as exc:  # noqa: BLE001 - SparseML raises anything
                return False, f"{type(exc).__name__}: {exc}"
        return True, type(manager.modifiers[0]).__name__


@pytest.fixture(scope="session")
def sparseml(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparseML]:
    os.environ["NM_DISABLE_ANALYTICS"] = "1"
    start = Path.cwd()
    had_logs = (start / "sparse_logs").exists()
    workdir = tmp_path_factory.mktemp("sparseml_cwd")
    with _cwd(workdir):
        # the `sparseml` extra is part of `make test`: a missing SparseML is a failure here
        import sparseml  # noqa: F401
        import torch  # noqa: F401
    loader = SparseML(workdir)
    yield loader
    assert (start / "sparse_logs").exists() == had_logs, "SparseML wrote sparse_logs/ into cwd"
    logs = workdir / "sparse_logs"
    if logs.exists():  # never leave it behind, even in the temporary directory
        import shutil

        shutil.rmtree(logs)


@pytest.fixture(scope="session")
def import_path() -> Callable[[str], Any]:
    """Import a dotted `module.Class` path."""
    import importlib

    def load(dotted: str) -> Any:
        module, _, name = dotted.rpartition(".")
        return getattr(importlib.import_module(module), name)

    return load
