"""Checking many files at once: the same work, spread over the CPU cores.

Each file is independent, so `validate` and `lint` on a directory fan out to worker
processes (forked, so workers inherit the already-imported modules and start in
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
* the files go out largest first, one at a time, to whichever worker is free, and the
  results are put back in the order of the paths: no worker is left at the end with a
  chunk of big files while the others are idle;
* the parent does nothing while the workers run (a pipe is the work queue, each worker
  sends its results once, at its end).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from recipe_studio.read.source import LineIndex

#: fewer files than this are checked in-process (forking costs more than it saves)
MIN_FILES_PER_WORKER = 16
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
        if n <= 1 or len(paths) < 2 or sys.platform == "win32" or not hasattr(os, "fork"):
            return [check(p) for p in paths]
        first = check(paths[0])  # imports what checking needs, once, before forking
        return [first, *_fan_out(paths[1:], check, min(n, len(paths) - 1))]


def _fan_out(paths: Sequence[str], check: Callable[[str], Any], n: int) -> list[Any]:
    """`check` the paths in `n` forked workers; results in the order of `paths`.

    The work queue is a pipe holding the indexes of the paths (largest file first), each a
    4-byte integer: a worker reads one, checks that file, reads the next, until the pipe is
    empty and closed (a read of at most PIPE_BUF bytes is atomic, so no two workers get
    the same index). Each worker then sends all its results at once through a pipe of its
    own and exits. The parent only feeds the queue and collects: it does no work of its own
    while the workers run (measured: multiprocessing.Pool's feeder and collector threads
    took a sixth of a core away from the workers).
    """
    import pickle

    order = b"".join(i.to_bytes(4, "little") for i, _ in _largest_first(paths))
    _flush_std_streams()  # a worker must not inherit (and print again) buffered output
    gc.freeze()  # the workers' collections leave everything before this alone
    tasks_r, tasks_w = os.pipe()
    workers: dict[int, int] = {}  # pid -> the read end of its results pipe
    reading = None  # the worker whose results are being read
    try:
        for _ in range(n):
            results_r, results_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                os.close(tasks_w)
                os.close(results_r)
                _work(paths, check, tasks_r, results_w)
            os.close(results_w)
            workers[pid] = results_r
        os.close(tasks_r)
        tasks_r = -1
        try:
            for at in range(0, len(order), _TASK_WRITE):  # blocks while the queue is full
                os.write(tasks_w, order[at:at + _TASK_WRITE])
        except BrokenPipeError:  # every worker is gone: their pipes say why
            pass
        os.close(tasks_w)
        tasks_w = -1
        results: list[Any] = [None] * len(paths)
        for pid in list(workers):
            reading = pid
            with os.fdopen(workers.pop(pid), "rb") as stream:
                data = stream.read()
            _, status = os.waitpid(pid, 0)
            reading = None
            if not data:
                raise RuntimeError(f"a worker process ended without its results "
                                   f"(wait status {status})")
            outcome = pickle.loads(data)
            if isinstance(outcome, BaseException):  # what the check raised, raised here
                raise outcome
            for i, result in outcome:
                results[i] = result
        return results
    finally:
        gc.unfreeze()
        for fd in (tasks_r, tasks_w):
            if fd >= 0:
                os.close(fd)
        for fd in workers.values():  # interrupted, or a worker failed: stop the rest
            os.close(fd)
        for pid in [*workers, *([reading] if reading is not None else [])]:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except OSError:
                pass


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):  # replaced, closed or broken
            pass


#: bytes of the task queue written at a time: POSIX's smallest PIPE_BUF, so every write is
#: atomic (whole indexes only) on every platform
_TASK_WRITE = 512


def _work(paths: Sequence[str], check: Callable[[str], Any], tasks: int, out: int) -> None:
    """A forked worker's life: check files until the queue is empty, send the results (or
    the exception that stopped it) and exit without running the parent's cleanup."""
    import pickle

    code = 0
    try:
        try:
            done = []
            while True:
                index = os.read(tasks, 4)
                if not index:
                    break
                i = int.from_bytes(index, "little")
                done.append((i, check(paths[i])))
            data = pickle.dumps(done, pickle.HIGHEST_PROTOCOL)
        except BaseException as e:  # noqa: BLE001 - handed to the parent, which raises it
            try:
                data = pickle.dumps(e, pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                data = pickle.dumps(RuntimeError(f"{type(e).__name__}: {e}"))
        with os.fdopen(out, "wb") as stream:
            stream.write(data)
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        code = 1
    finally:
        _flush_std_streams()  # what the checks wrote (warnings), as a worker process would
        os._exit(code)


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


def lines_getter(text: str | None) -> Callable[[int], str] | None:
    """The 1-based line getter source snippets are drawn with (the one line index)."""
    if text is None:
        return None
    return LineIndex(text).line_text
