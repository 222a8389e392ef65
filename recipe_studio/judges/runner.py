"""Run the judges: each library's own loader, in a child process with that library's interpreter.

Nothing here imports SparseML, llm-compressor or torch; the workers in ``workers/`` do, in the
environment that has them (``.venv`` for SparseML 1.8, ``.venv-llmc`` for llm-compressor 0.14).
A worker judges many recipes in one process; each recipe has its own time limit (SIGALRM in
the worker, and a watchdog here that kills a worker stuck in C code, restarting one for the
recipes left). Workers run in a temporary working directory, so SparseML's ``sparse_logs/``
never lands in the caller's.
"""

from __future__ import annotations

import functools
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

WORKERS = Path(__file__).resolve().parent / "workers"
REPO_ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("sparseml", "llmcompressor")

#: environment variables naming each judge's interpreter
PYTHON_ENV = {"sparseml": "RECIPE_STUDIO_SPARSEML_PYTHON", "llmcompressor": "RECIPE_STUDIO_LLMC_PYTHON"}
#: seconds a worker may take to import its library before the first verdict
STARTUP_TIMEOUT = 300.0
#: seconds past a recipe's own limit before the watchdog kills a worker stuck in C code
WATCHDOG_SLACK = 30.0


class JudgeUnavailable(RuntimeError):
    """The library's environment is missing or its worker could not start."""


@dataclass
class Verdict:
    """One library's verdict on one recipe.

    ``ok`` is True when the library loaded the recipe and created its modifiers. Otherwise
    ``error`` holds ``type`` (the exception class name), ``message``, ``first_line`` and a short
    ``traceback``, and ``phase`` says where it failed (SparseML: ``parse``, ``evaluate``,
    ``create``; llm-compressor: ``create``; both: ``timeout``, ``crash``). ``record`` is the
    worker's whole JSON object (SparseML: ``recipe`` = the parse, ``stages`` = created
    modifiers; llm-compressor: ``stage``, ``args``, ``modifiers``).
    """

    library: str
    path: str
    ok: bool
    phase: str
    error: dict | None = None
    record: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def error_type(self) -> str | None:
        return self.error["type"] if self.error else None

    @property
    def error_message(self) -> str | None:
        return self.error["message"] if self.error else None

    def modifier_types(self) -> list[str]:
        """Registry names of the modifiers the recipe creates (or would, for SparseML's parse)."""
        if self.library == "llmcompressor":
            return [m["type"] for m in self.record.get("modifiers", [])]
        recipe = self.record.get("recipe") or {}
        return [m["type"] for s in recipe.get("stages", []) for m in s["modifiers"]]


def python_for(library: str) -> str:
    """The interpreter of ``library``'s judge: ``$RECIPE_STUDIO_SPARSEML_PYTHON`` /
    ``$RECIPE_STUDIO_LLMC_PYTHON``, else ``.venv`` / ``.venv-llmc`` at the repository root
    (SparseML falls back on the running interpreter, which has it under ``make test``)."""
    if library not in LIBRARIES:
        raise ValueError(f"unknown library {library!r}; expected one of {LIBRARIES}")
    env = os.environ.get(PYTHON_ENV[library])
    if env:
        return env
    venv = REPO_ROOT / (".venv" if library == "sparseml" else ".venv-llmc") / "bin" / "python"
    if venv.exists():
        return str(venv)
    if library == "sparseml":
        return sys.executable
    raise JudgeUnavailable(
        f"no llm-compressor environment at {venv.parent.parent} (run `make install`, or set "
        f"{PYTHON_ENV[library]})"
    )


@functools.lru_cache(maxsize=None)
def _has_module(python: str, module: str) -> bool:
    # a top-level find_spec imports nothing (sparseml's __init__ alone takes seconds)
    probe = subprocess.run(
        [python, "-c",
         f"import importlib.util as u, sys; sys.exit(u.find_spec({module!r}) is None)"],
        capture_output=True,
    )
    return probe.returncode == 0


def available(library: str) -> str | None:
    """None when ``library``'s judge can run here, else the reason it cannot."""
    try:
        python = python_for(library)
    except JudgeUnavailable as exc:
        return str(exc)
    return None if _has_module(python, library) else f"{python} has no {library}"


def _env() -> dict:
    env = dict(os.environ)
    env.update(
        NM_DISABLE_ANALYTICS="1",
        PYTHONHASHSEED="0",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONWARNINGS="ignore",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTHONPATH", None)  # the workers are standalone scripts
    return env


def _start(library: str, request: dict, cwd: str, stderr) -> subprocess.Popen:
    proc = subprocess.Popen(
        [python_for(library), str(WORKERS / f"{library}_worker.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=cwd,
        env=_env(),
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    return proc


def _read_line(proc: subprocess.Popen, buffer: bytearray, deadline: float) -> bytes | None:
    """One line of the worker's stdout; None when the deadline passes; EOFError at EOF."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise EOFError
        buffer.extend(chunk)
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return line


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _failure(library: str, path: str, phase: str, message: str) -> Verdict:
    error = {"type": phase.capitalize(), "module": "recipe_studio.judges", "message": message,
             "first_line": message.splitlines()[0] if message else "", "traceback": []}
    return Verdict(library, path, False, phase, error)


def judge(
    library: str,
    paths: Iterable[str | os.PathLike],
    *,
    timeout: float = 60.0,
    target_stage: str | None = None,
) -> list[Verdict]:
    """``library``'s verdict on every recipe file, in order (one worker process for the lot).

    Paths are made absolute (the worker runs in a temporary directory). ``timeout`` limits each
    recipe; ``target_stage`` selects stages as each library does: llm-compressor's
    ``create_instance(..., target_stage=...)``, SparseML's session ``recipe_stage``.
    """
    todo = [str(Path(p).resolve()) for p in paths]
    verdicts: list[Verdict] = []
    if not todo:
        return verdicts
    with tempfile.TemporaryDirectory(prefix="rs-judge-") as cwd, tempfile.TemporaryFile() as err:
        while todo:
            request = {"mode": "judge", "paths": todo, "timeout": timeout,
                       "target_stage": target_stage}
            proc = _start(library, request, cwd, err)
            buffer = bytearray()
            try:
                try:
                    ready = _read_line(proc, buffer, time.monotonic() + STARTUP_TIMEOUT)
                except EOFError:
                    ready = None
                if ready is None:
                    raise JudgeUnavailable(f"{library} judge did not start: {_tail(err)}")
                done = 0
                while done < len(todo):
                    try:
                        line = _read_line(proc, buffer, time.monotonic() + timeout + WATCHDOG_SLACK)
                    except EOFError:
                        line = None
                        proc.wait()
                    if line is None:
                        if proc.poll() is None:
                            phase, why = "timeout", f"no verdict within {timeout:g} s (worker killed)"
                        else:
                            phase, why = "crash", (f"the worker died (exit status {proc.returncode}): "
                                                   f"{_tail(err)}")
                        verdicts.append(_failure(library, todo[done], phase, why))
                        done += 1
                        break
                    rec = json.loads(line)
                    verdicts.append(
                        Verdict(library, rec["path"], bool(rec.get("ok")), rec.get("phase", ""),
                                rec.get("error"), rec, rec.get("warnings", []), rec.get("seconds", 0.0))
                    )
                    done += 1
            finally:
                _stop(proc)
            todo = todo[done:]
    return verdicts


def _tail(err, size: int = 2000) -> str:
    err.flush()
    err.seek(0, os.SEEK_END)
    length = err.tell()
    err.seek(max(0, length - size))
    return err.read().decode(errors="replace").strip()


def judge_sparseml(paths: Iterable[str | os.PathLike], **kw: Any) -> list[Verdict]:
    """SparseML 1.8.0: ``Recipe.create_instance`` + ``create_modifier(Framework.pytorch)``."""
    return judge("sparseml", paths, **kw)


def judge_llmcompressor(paths: Iterable[str | os.PathLike], **kw: Any) -> list[Verdict]:
    """llm-compressor 0.14.0.1: ``Recipe.create_instance(path)``."""
    return judge("llmcompressor", paths, **kw)


def judge_texts(library: str, texts: Sequence[str], *, suffix: str = ".yaml", **kw: Any) -> list[Verdict]:
    """Judge recipe texts (written to temporary ``recipe-N<suffix>`` files first)."""
    with tempfile.TemporaryDirectory(prefix="rs-judge-texts-") as tmp:
        paths = []
        for i, text in enumerate(texts):
            p = Path(tmp) / f"recipe-{i}{suffix}"
            p.write_text(text, encoding="utf-8")
            paths.append(p)
        return judge(library, paths, **kw)


def dump(library: str, *, timeout: float = STARTUP_TIMEOUT) -> dict:
    """Introspection of ``library``: every registered modifier class (the class a recipe
    instantiates) with its fields and validators; compressed-tensors' scheme models, enums and
    presets."""
    with tempfile.TemporaryDirectory(prefix="rs-judge-") as cwd, tempfile.TemporaryFile() as err:
        proc = _start(library, {"mode": "dump"}, cwd, err)
        buffer = bytearray()
        try:
            try:
                line = _read_line(proc, buffer, time.monotonic() + timeout)
            except EOFError:
                line = None
        finally:
            _stop(proc)
        if line is None:
            raise JudgeUnavailable(f"{library} dump failed: {_tail(err)}")
        return json.loads(line)
