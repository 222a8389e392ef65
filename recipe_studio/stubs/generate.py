"""`recipe-studio stubs`: run the worker with the user's interpreter, check its answer, write
the catalogue. Nothing here imports the user's modules (the worker does, in a child process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

WORKER = Path(__file__).resolve().parent / "worker.py"
#: seconds the child may take to import the modules (SparseML alone takes several)
TIMEOUT = 600.0


class StubsError(RuntimeError):
    """The modules could not be introspected (missing interpreter, import error, no answer)."""


def known_names() -> list[str]:
    """The built-in modifier names (classic tags and both stage registries): not stubbed."""
    from recipe_studio.models import catalog
    from recipe_studio.models.stage import TARGETS, registry

    names = set(catalog.TAGS)
    for target in TARGETS:
        names.update(registry(target))
    return sorted(names)


def introspect(modules: Sequence[str], *, python: str | None = None,
               cwd: str | os.PathLike[str] | None = None, timeout: float = TIMEOUT
               ) -> dict[str, Any]:
    """The catalogue of the modifier classes `modules` register, from a child `python`
    (default: this interpreter) started in `cwd` (default: the current directory, which the
    child puts first on its `sys.path`)."""
    python = python or sys.executable
    request = json.dumps({"modules": list(modules), "known": known_names()})
    env = dict(os.environ, NM_DISABLE_ANALYTICS="1", PYTHONDONTWRITEBYTECODE="1")
    # SparseML writes sparse_logs/ into its working directory: keep it out of the user's
    with tempfile.TemporaryDirectory(prefix="recipe-studio-stubs-") as tmp:
        env["RECIPE_STUDIO_STUBS_PATH"] = os.path.abspath(cwd or os.getcwd())
        try:
            proc = subprocess.run([python, str(WORKER)], input=request, capture_output=True,
                                  text=True, timeout=timeout, cwd=tmp, env=env)
        except FileNotFoundError:
            raise StubsError(f"no Python interpreter at `{python}`") from None
        except PermissionError:
            raise StubsError(f"`{python}` is not executable") from None
        except subprocess.TimeoutExpired:
            raise StubsError(f"importing {', '.join(modules)} took more than {timeout:g} s") \
                from None
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    try:
        answer = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise StubsError(f"`{python}` gave no answer (exit status {proc.returncode})"
                         + (f":\n{tail}" if tail else ""))
    if not answer.get("ok"):
        raise StubsError(f"cannot import {', '.join(modules)} with `{python}`: "
                         f"{answer.get('error')}")
    return answer["catalogue"]


def render(catalogue: dict[str, Any]) -> str:
    return json.dumps(catalogue, indent=2, sort_keys=True) + "\n"


def write(catalogue: dict[str, Any], out: str | os.PathLike[str]) -> None:
    from recipe_studio.io import atomic_write

    atomic_write(out, render(catalogue))
