"""`recipe-studio bench MODEL.onnx`: latency and throughput in onnxruntime and DeepSparse."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Literal, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import EXIT_OK, EXIT_PROBLEMS, usage_error
from recipe_studio.cli.options import ColorOption, OutputFormat, format_option, quiet_option


def _split(values: list[str] | None, default: tuple[str, ...]) -> list[str]:
    if not values:
        return list(default)
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


@app.command()
def bench(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="The ONNX model file.")],
    engines: Annotated[Optional[list[str]], typer.Option(
        "--engines", "--engine", metavar="NAME[,NAME]",
        help="onnxruntime and/or deepsparse, comma-separated or repeated. Default: both.")
    ] = None,
    batch_sizes: Annotated[Optional[list[str]], typer.Option(
        "--batch-sizes", "--batch-size", "-b", metavar="N[,N]",
        help="Batch sizes, comma-separated or repeated. Default: 1,16.")] = None,
    iterations: Annotated[int, typer.Option("--iterations", "-n", metavar="N", min=1,
                                            help="Timed runs per setting, at least 1.")] = 50,
    warmup: Annotated[int, typer.Option("--warmup", metavar="N", min=0,
                                        help="Untimed runs before them.")] = 10,
    threads: Annotated[Optional[int], typer.Option(
        "--threads", metavar="N", min=1,
        help="Threads (onnxruntime) or cores (DeepSparse) per engine, at least 1. Default: "
             "the engine's own.")] = None,
    format: Annotated[Literal[OutputFormat.text, OutputFormat.json],
                      format_option()] = OutputFormat.text,
    quiet: Annotated[bool, quiet_option(
        "Show no progress while measuring (shown only when standard error is a terminal)."
    )] = False,
    color: ColorOption = None,
) -> None:
    """Time an ONNX model: median and p90 latency and throughput per engine and batch size.

    Inputs are random tensors of the model's own shapes. DeepSparse runs only when it is
    installed, with its analytics off. Exit 0 when every setting ran, 1 when some were
    skipped (the reason is shown), 2 for usage errors.
    """
    from recipe_studio.bridge.benchmark import ENGINES

    names = _split(engines, ENGINES)
    for name in names:
        if name not in ENGINES:
            raise usage_error(f"unknown engine `{name}` (choose from {', '.join(ENGINES)})")
    sizes: list[int] = []
    for item in _split(batch_sizes, ("1", "16")):
        if not item.isdigit() or int(item) < 1:
            raise usage_error(f"`{item}` is not a batch size (a positive integer)")
        sizes.append(int(item))
    try:
        with open(model, "rb") as f:
            f.read(1)
    except OSError as e:
        raise usage_error(f"cannot read `{model}`: {e.strerror or e}") from None

    from recipe_studio.bridge._deps import MissingDependency
    from recipe_studio.bridge.benchmark import bench as run_bench

    settings = [(engine, size) for engine in names for size in sizes]
    report = None
    try:
        with progress_display(len(settings), quiet=quiet, color=color) as step:
            # one setting at a time, so that the display can say which is being measured
            for engine, size in settings:
                step(f"{os.path.basename(model)}: {engine}, batch {size}")
                part = run_bench(model, [engine], [size], warmup=warmup,
                                 iterations=iterations, num_threads=threads)
                if report is None:
                    report = part
                else:
                    report.results.extend(part.results)
    except MissingDependency as e:
        raise usage_error(str(e)) from None
    except Exception as e:  # onnxruntime cannot read the file at all
        sys.stderr.write(f"recipe-studio: error: cannot benchmark `{model}`: "
                         f"{str(e).strip().splitlines()[0] if str(e).strip() else e}\n")
        raise typer.Exit(EXIT_PROBLEMS) from None
    assert report is not None
    from recipe_studio.render.bench import RENDERERS

    RENDERERS[format.value](report, sys.stdout, color=color)
    skipped = any(r.skipped for r in report.results)
    raise typer.Exit(EXIT_PROBLEMS if skipped else EXIT_OK)


@contextmanager
def progress_display(total: int, *, quiet: bool, color: bool | None
                     ) -> Iterator[Callable[[str], None]]:
    """A live line on standard error naming the setting being measured, with a bar over
    the settings and the elapsed time; only when stderr is a terminal and not `quiet`.
    Yields `step(description)`, to call before each setting."""
    if quiet or not sys.stderr.isatty():
        yield lambda description: None
        return
    from rich.progress import (
        BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
    )

    from recipe_studio.render.console import make_console

    progress = Progress(SpinnerColumn(), TextColumn("measuring {task.description}"),
                        BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=make_console(sys.stderr, color), transient=True,
                        redirect_stdout=False, redirect_stderr=False)
    task = progress.add_task("", total=total)
    started = False

    def step(description: str) -> None:
        nonlocal started
        if started:
            progress.advance(task)
        started = True
        progress.update(task, description=description)

    with progress:
        yield step
