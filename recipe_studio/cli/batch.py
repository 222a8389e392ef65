"""Checking many files at once: the same work, spread over the CPU cores.

Each file is independent, so `validate` and `lint` on a directory fan out to worker
processes (fork start method, so workers inherit the already-imported modules and start in
milliseconds). Workers send back only diagnostics and the source text (for snippets), never
the parse trees (`lint.run.FileResult`). Below a handful of files, or on one core,
everything runs in-process.

What makes the fan-out pay (measured on the 386 corpus recipes, 2 cores):

* the parent checks the first file itself before forking: that imports the reader, the
  models it uses and the rules once, instead of once in every worker (a few hundred
  milliseconds of CPU each);
* then `gc.freeze()`: the workers' collections skip everything imported, and the
  collector runs rarely while files are checked (a batch makes almost no cyclic garbage;
  the collections cost a tenth of the time). Both are undone when the batch is over;
* the files go out largest first, a few at a time, to whichever worker is free, and the
  results are put back in the order of the paths: no worker waits at the end with a
  chunk of big files while the others are idle.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from recipe_studio.read.source import LineIndex

#: fewer files than this are checked in-process (forking costs more than it saves)
MIN_FILES_PER_WORKER = 16
#: files sent to a worker at a time (smaller: better balance, more messages)
CHUNK = 4
#: the collector's thresholds while a batch runs (Python's default: 700, 10, 10)
BATCH_GC_THRESHOLD = (50_000, 20, 20)


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
    with _batch_gc():
        if n <= 1 or len(paths) < 2 or sys.platform == "win32" \
                or "fork" not in _start_methods():
            return [check(p) for p in paths]
        first = check(paths[0])  # imports what checking needs, once, before forking
        return [first, *_fan_out(paths[1:], check, min(n, len(paths) - 1))]


def _fan_out(paths: Sequence[str], check: Callable[[str], Any], n: int) -> list[Any]:
    import multiprocessing

    global _CHECK
    _CHECK = check
    results: list[Any] = [None] * len(paths)
    gc.freeze()  # the workers' collections leave everything before this alone
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            for i, result in pool.imap_unordered(_run_one, _largest_first(paths),
                                                 chunksize=CHUNK):
                results[i] = result
    finally:
        gc.unfreeze()
        _CHECK = None
    return results


def _largest_first(paths: Sequence[str]) -> list[tuple[int, str]]:
    """(index, path) by decreasing file size (unknown sizes last, in path order)."""
    def size(item: tuple[int, str]) -> int:
        try:
            return os.stat(item[1]).st_size
        except (OSError, ValueError):
            return -1

    return sorted(enumerate(paths), key=size, reverse=True)


@contextmanager
def _batch_gc() -> Iterator[None]:
    old = gc.get_threshold()
    gc.set_threshold(*BATCH_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*old)


_CHECK: Callable[[str], Any] | None = None


def _run_one(item: tuple[int, str]) -> tuple[int, Any]:
    assert _CHECK is not None
    return item[0], _CHECK(item[1])


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def lines_getter(text: str | None) -> Callable[[int], str] | None:
    """The 1-based line getter source snippets are drawn with (the one line index)."""
    if text is None:
        return None
    return LineIndex(text).line_text
