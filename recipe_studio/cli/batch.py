"""Checking many files at once: the same work, spread over the CPU cores.

Each file is independent, so `validate` and `lint` on a directory fan out to worker
processes (fork start method, so workers inherit the already-imported modules and start in
milliseconds). Workers send back only diagnostics and the source text (for snippets), never
the parse trees (`lint.run.FileResult`). Below a handful of files, or on one core,
everything runs in-process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from recipe_studio.read.source import LineIndex

#: fewer files than this are checked in-process (forking costs more than it saves)
MIN_FILES_PER_WORKER = 16


def jobs_for(n_files: int, requested: int | None = None) -> int:
    if requested is not None:
        return max(1, requested)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, n_files // MIN_FILES_PER_WORKER))


def run(paths: Sequence[str], check: Callable[[str], Any], *, jobs: int | None = None
        ) -> list[Any]:
    """`check` every path, in parallel when worthwhile; results (picklable: they come back
    from the workers) in the order of `paths`."""
    n = jobs_for(len(paths), jobs)
    if n <= 1 or sys.platform == "win32" or "fork" not in _start_methods():
        return [check(p) for p in paths]
    import multiprocessing

    global _CHECK
    _CHECK = check
    ctx = multiprocessing.get_context("fork")
    chunk = max(1, len(paths) // (n * 4))
    with ctx.Pool(n) as pool:
        return pool.map(_run_one, paths, chunksize=chunk)


_CHECK: Callable[[str], Any] | None = None


def _run_one(path: str) -> Any:
    assert _CHECK is not None
    return _CHECK(path)


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def lines_getter(text: str | None) -> Callable[[int], str] | None:
    """The 1-based line getter source snippets are drawn with (the one line index)."""
    if text is None:
        return None
    return LineIndex(text).line_text
