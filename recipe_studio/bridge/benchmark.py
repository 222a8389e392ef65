"""Latency and throughput of an ONNX model in onnxruntime and DeepSparse.

:func:`bench` feeds random inputs of the model's own shapes and types, runs `warmup`
untimed iterations, then times `iterations` runs one by one (`time.perf_counter`) and
reports the median and 90th-percentile latency and the throughput (`batch / median`) per
engine and batch size. DeepSparse is used only when it is installed (and its analytics
are switched off first, see :mod:`recipe_studio.bridge._deps`) and is measured in a child
process, because its engine can end the process on a graph it cannot compile; an engine
that cannot run the model at a batch size gets a `skipped` reason instead of numbers.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.bridge._deps import MissingDependency, available, require

ENGINES = ("onnxruntime", "deepsparse")

_ORT_TYPES = {
    "tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
    "tensor(uint8)": "uint8", "tensor(int8)": "int8", "tensor(int32)": "int32",
    "tensor(int64)": "int64", "tensor(bool)": "bool",
}


@dataclass
class BenchResult:
    """One engine at one batch size."""

    engine: str
    batch_size: int
    median_ms: float | None = None
    p90_ms: float | None = None
    mean_ms: float | None = None
    min_ms: float | None = None
    #: items (batch entries) per second at the median latency
    throughput: float | None = None
    iterations: int = 0
    warmup: int = 0
    #: seconds to load / compile the model for this batch size
    setup_s: float | None = None
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "batch_size": self.batch_size,
                "median_ms": self.median_ms, "p90_ms": self.p90_ms, "mean_ms": self.mean_ms,
                "min_ms": self.min_ms, "throughput": self.throughput,
                "iterations": self.iterations, "warmup": self.warmup,
                "setup_s": self.setup_s, "skipped": self.skipped}


@dataclass
class BenchReport:
    """Every engine × batch size for one model, with the machine it ran on."""

    model: str
    results: list[BenchResult] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)

    def get(self, engine: str, batch_size: int) -> BenchResult | None:
        for r in self.results:
            if r.engine == engine and r.batch_size == batch_size:
                return r
        return None

    def latency_ms(self, engine: str, batch_size: int = 1) -> float | None:
        r = self.get(engine, batch_size)
        return r.median_ms if r else None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "machine": self.machine,
                "results": [r.to_dict() for r in self.results]}


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), q in [0, 100]."""
    xs = sorted(values)
    if not xs:
        raise ValueError("no values")
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _time(run: Callable[[], Any], warmup: int, iterations: int) -> list[float]:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


def _fill(result: BenchResult, times: list[float]) -> None:
    result.median_ms = statistics.median(times)
    result.p90_ms = percentile(times, 90)
    result.mean_ms = statistics.fmean(times)
    result.min_ms = min(times)
    result.throughput = result.batch_size / (result.median_ms / 1000.0)
    result.iterations = len(times)


def model_inputs(onnx_path: str, batch_size: int, *, seed: int = 0) -> dict[str, Any]:
    """Random inputs for the model's inputs at `batch_size` (first dim), by name."""
    ort = require("onnxruntime")
    numpy = require("numpy")
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    rng = numpy.random.default_rng(seed)
    feed = {}
    for inp in session.get_inputs():
        dims = list(inp.shape)
        if dims and not isinstance(dims[0], int):
            dims[0] = batch_size
        elif dims and dims[0] != batch_size:
            raise ValueError(f"input `{inp.name}` has a fixed batch size of {dims[0]}")
        if any(not isinstance(d, int) for d in dims):
            raise ValueError(f"input `{inp.name}` has a dynamic dimension besides the batch: "
                             f"{inp.shape}")
        dtype = _ORT_TYPES.get(inp.type)
        if dtype is None:
            raise ValueError(f"input `{inp.name}` has an unsupported type {inp.type}")
        if dtype.startswith("float"):
            feed[inp.name] = rng.standard_normal(dims).astype(dtype)
        elif dtype == "bool":
            feed[inp.name] = rng.integers(0, 2, dims).astype(bool)
        else:
            feed[inp.name] = rng.integers(0, 100, dims).astype(dtype)
    return feed


def machine_info() -> dict[str, Any]:
    """CPU facts that matter for reading the numbers (DeepSparse's view when installed)."""
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "machine": platform.machine(),
                            "processor": platform.processor() or None}
    if available("deepsparse"):
        try:
            cpu = require("deepsparse.cpu")
            arch = cpu.cpu_architecture()
            info["deepsparse_isa"] = getattr(arch, "isa", None)
            info["vnni"] = getattr(arch, "vnni", None)
            info["physical_cores"] = getattr(arch, "num_available_physical_cores", None)
        except Exception:  # best effort: an exotic CPU must not break the benchmark
            pass
    return info


def bench(onnx_path: str | os.PathLike[str], engines: Sequence[str] = ENGINES,
          batch_sizes: Sequence[int] = (1, 16), *, warmup: int = 10, iterations: int = 50,
          num_threads: int | None = None, seed: int = 0) -> BenchReport:
    """Time `onnx_path` in each engine at each batch size.

    Args:
        onnx_path: the model file.
        engines: any of "onnxruntime", "deepsparse" (an engine that is not installed is
            reported as skipped).
        batch_sizes: batch sizes to time (the model's first input dimension).
        warmup: untimed runs before timing.
        iterations: timed runs.
        num_threads: threads (onnxruntime intra-op) / cores (DeepSparse); default: the
            engines' own default (all physical cores).
        seed: random input seed.

    Returns:
        A :class:`BenchReport`.
    """
    path = os.fspath(onnx_path)
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        raise ValueError(f"unknown engine {unknown[0]!r} (choose from {', '.join(ENGINES)})")
    if iterations < 1 or warmup < 0:
        raise ValueError("iterations must be >= 1 and warmup >= 0")
    report = BenchReport(model=path, machine=machine_info())
    for engine in engines:
        for bs in batch_sizes:
            result = BenchResult(engine=engine, batch_size=int(bs), warmup=warmup)
            report.results.append(result)
            try:
                feed = model_inputs(path, int(bs), seed=seed)
            except ValueError as e:
                result.skipped = str(e)
                continue
            try:
                if engine == "onnxruntime":
                    runner = _ort_runner(path, int(bs), feed, num_threads, result)
                    times = _time(runner, warmup, iterations)
                else:
                    times = _deepsparse_times(path, int(bs), num_threads, warmup, iterations,
                                              seed, result)
            except MissingDependency as e:
                result.skipped = f"{engine} is not installed ({e})"
                continue
            except _Unsupported as e:
                result.skipped = str(e)
                continue
            _fill(result, times)
    return report


class _Unsupported(Exception):
    pass


def _ort_runner(path: str, batch_size: int, feed: dict[str, Any], num_threads: int | None,
                result: BenchResult) -> Callable[[], Any]:
    ort = require("onnxruntime")
    options = ort.SessionOptions()
    if num_threads:
        options.intra_op_num_threads = num_threads
    t0 = time.perf_counter()
    try:
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        session.run(None, feed)
    except Exception as e:
        raise _Unsupported(f"onnxruntime cannot run the model at batch size {batch_size}: "
                           f"{_first_line(e)}") from e
    result.setup_s = time.perf_counter() - t0
    return lambda: session.run(None, feed)


#: DeepSparse runs in a child process: its engine ends the whole process (exit status 1,
#: "Assertion at ...", no Python exception) on some graphs it cannot compile
_DEEPSPARSE_CHILD = """
import json, sys
from recipe_studio.bridge._deps import require
from recipe_studio.bridge.benchmark import _time, model_inputs
path, bs, threads, warmup, iterations, seed = sys.argv[1], *map(int, sys.argv[2:])
deepsparse = require("deepsparse")
import time
t0 = time.perf_counter()
engine = deepsparse.compile_model(path, batch_size=bs, num_cores=threads or None)
inputs = list(model_inputs(path, bs, seed=seed).values())
engine.run(inputs)
setup = time.perf_counter() - t0
times = _time(lambda: engine.run(inputs), warmup, iterations)
print("RESULT " + json.dumps({"setup_s": setup, "times": times}))
"""


def _deepsparse_times(path: str, batch_size: int, num_threads: int | None, warmup: int,
                      iterations: int, seed: int, result: BenchResult) -> list[float]:
    """DeepSparse's latencies (ms) at `batch_size`, measured in a child process."""
    import json
    import subprocess
    import sys

    if not available("deepsparse"):
        raise MissingDependency("deepsparse", "sparseml")
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}
    args = [str(v) for v in (batch_size, num_threads or 0, warmup, iterations, seed)]
    try:
        proc = subprocess.run([sys.executable, "-c", _DEEPSPARSE_CHILD, path, *args],
                              capture_output=True, text=True, env=env, timeout=1800)
    except subprocess.TimeoutExpired:
        raise _Unsupported(f"DeepSparse did not finish at batch size {batch_size} within "
                           "30 minutes") from None
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not found:
        lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        # DeepSparse's own crash report names the failed assertion; Python's its exception
        cause = [ln for ln in lines if ln.startswith(("Assertion at", "Error:"))] or lines[-1:]
        detail = f": {cause[0][:200]}" if cause else " (no message)"
        raise _Unsupported(f"DeepSparse cannot run the model at batch size {batch_size}: "
                           f"exit status {proc.returncode}{detail}")
    measured = json.loads(found[-1][len("RESULT "):])
    result.setup_s = measured["setup_s"]
    return measured["times"]


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:200]


@dataclass
class Agreement:
    """DeepSparse's outputs against onnxruntime's on the same file and inputs."""

    batch_size: int
    #: largest |DeepSparse - onnxruntime| over all outputs
    max_abs_diff: float | None = None
    #: root-mean-square difference over the onnxruntime outputs' root-mean-square
    rel_rms_diff: float | None = None
    #: cosine similarity of the flattened outputs (1.0: same direction)
    cosine: float | None = None
    #: fraction of rows (first output, last axis) whose argmax agrees
    argmax_agreement: float | None = None
    skipped: str | None = None

    def within(self, *, cosine: float, rel_rms: float) -> bool:
        return (self.skipped is None and self.cosine is not None
                and self.cosine >= cosine and (self.rel_rms_diff or 0.0) <= rel_rms)

    def to_dict(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "max_abs_diff": self.max_abs_diff,
                "rel_rms_diff": self.rel_rms_diff, "cosine": self.cosine,
                "argmax_agreement": self.argmax_agreement, "skipped": self.skipped}


_DEEPSPARSE_OUTPUTS_CHILD = """
import sys, numpy
from recipe_studio.bridge._deps import require
from recipe_studio.bridge.benchmark import model_inputs
path, out, bs, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
engine = require("deepsparse").compile_model(path, batch_size=bs)
outputs = engine.run(list(model_inputs(path, bs, seed=seed).values()))
numpy.savez(out, *outputs)
print("RESULT ok")
"""


def agreement(onnx_path: str | os.PathLike[str], batch_size: int = 1, *,
              seed: int = 0) -> Agreement:
    """Run the same random inputs through onnxruntime (here) and DeepSparse (in a child
    process: its engine can end the process) and compare the outputs. A DeepSparse failure
    is reported in `skipped`, with its cause."""
    import subprocess
    import sys
    import tempfile

    numpy = require("numpy")
    ort = require("onnxruntime")
    path = os.fspath(onnx_path)
    result = Agreement(batch_size=batch_size)
    feed = model_inputs(path, batch_size, seed=seed)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, feed)
    if not available("deepsparse"):
        result.skipped = "deepsparse is not installed"
        return result
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "outputs.npz")
        env = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}
        proc = subprocess.run([sys.executable, "-c", _DEEPSPARSE_OUTPUTS_CHILD, path, out,
                               str(batch_size), str(seed)],
                              capture_output=True, text=True, env=env, timeout=1800)
        if proc.returncode != 0 or not os.path.exists(out):
            lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
            cause = [ln for ln in lines if ln.startswith(("Assertion at", "Error:"))] or lines[-1:]
            result.skipped = (f"DeepSparse cannot run the model: exit status {proc.returncode}"
                              + (f": {cause[0][:200]}" if cause else ""))
            return result
        with numpy.load(out) as data:
            got = [data[f"arr_{i}"] for i in range(len(data.files))]
    a = numpy.concatenate([e.astype("float64").ravel() for e in expected])
    b = numpy.concatenate([g.astype("float64").ravel() for g in got])
    if a.shape != b.shape:
        result.skipped = f"output sizes differ: onnxruntime {a.size}, DeepSparse {b.size}"
        return result
    diff = b - a
    result.max_abs_diff = float(numpy.abs(diff).max())
    rms = float(numpy.sqrt(numpy.mean(a * a)))
    result.rel_rms_diff = float(numpy.sqrt(numpy.mean(diff * diff))) / rms if rms else 0.0
    norm = float(numpy.linalg.norm(a) * numpy.linalg.norm(b))
    result.cosine = float(a @ b) / norm if norm else (1.0 if not a.any() and not b.any() else 0.0)
    first_e, first_g = expected[0], got[0]
    if first_e.ndim >= 2 and first_e.shape == first_g.shape:
        result.argmax_agreement = float(numpy.mean(first_e.argmax(-1) == first_g.argmax(-1)))
    return result


#: one block of an interleaved run: load (compile) one model in one engine, warm up, time
#: `iterations` runs, exit. A fresh process per block, so that nothing of ours is alive
#: beside the engine being timed (both engines' worker threads can spin after a run:
#: onnxruntime's `allow_spinning` default, DeepSparse's pinned workers), and because
#: DeepSparse can end its process on a graph it cannot compile
_BLOCK_CHILD = """
import json, sys, time
from recipe_studio.bridge._deps import require
from recipe_studio.bridge.benchmark import _time, model_inputs
path, engine, bs, seed, warmup, iterations = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
feed = model_inputs(path, bs, seed=seed)
if engine == "onnxruntime":
    session = require("onnxruntime").InferenceSession(path, providers=["CPUExecutionProvider"])
    run = lambda: session.run(None, feed)
else:
    compiled = require("deepsparse").compile_model(path, batch_size=bs)
    inputs = list(feed.values())
    run = lambda: compiled.run(inputs)
print("RESULT " + json.dumps(_time(run, warmup, iterations)), flush=True)
"""


def bench_interleaved(runs: Sequence[tuple[str | os.PathLike[str], str]], batch_size: int, *,
                      rounds: int = 5, iterations: int = 3, warmup: int = 2,
                      seed: int = 0) -> list[BenchResult]:
    """Time several (model, engine) pairs in alternating blocks: each round times
    `iterations` runs of every pair in turn.

    On a shared machine the load changes within minutes, so latencies measured one model
    after the other are not comparable; alternating blocks of a few runs expose every pair
    to the same load. Each block runs in a fresh child process with the engine's default
    settings (all cores) and nothing else of ours alive (see `_BLOCK_CHILD`); a pair that
    fails (DeepSparse cannot compile the graph, ...) is `skipped` with its cause and the
    others are still timed. Returns one :class:`BenchResult` per pair (all its runs), in
    order.
    """
    import json
    import subprocess
    import sys

    if rounds < 1 or iterations < 1 or warmup < 0:
        raise ValueError("rounds and iterations must be >= 1 and warmup >= 0")
    pairs = [(os.fspath(p), e) for p, e in runs]
    for path, engine in pairs:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
        if not os.path.isfile(path):
            raise FileNotFoundError(path)
    results = [BenchResult(engine=e, batch_size=int(batch_size), warmup=warmup)
               for _, e in pairs]
    for r, (_, engine) in zip(results, pairs):
        if not available(engine):
            r.skipped = f"{engine} is not installed"
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}
    times: list[list[float]] = [[] for _ in pairs]
    for _ in range(rounds):
        for i, (path, engine) in enumerate(pairs):
            if results[i].skipped is not None:
                continue
            args = [str(v) for v in (int(batch_size), seed, warmup, iterations)]
            proc = subprocess.run([sys.executable, "-c", _BLOCK_CHILD, path, engine, *args],
                                  capture_output=True, text=True, env=env, timeout=1800)
            found = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode != 0 or not found:
                lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines()
                         if ln.strip()]
                cause = ([ln for ln in lines if ln.startswith(("Assertion at", "Error:"))]
                         or lines[-1:])
                results[i].skipped = (f"{engine} cannot run the model: exit status "
                                      f"{proc.returncode}"
                                      + (f": {cause[0][:200]}" if cause else ""))
                continue
            times[i].extend(json.loads(found[-1][len("RESULT "):]))
    for r, ts in zip(results, times):
        if r.skipped is None and ts:
            _fill(r, ts)
    return results
