"""`recipe-studio train --recipe R`: run a recipe in SparseML training, export, check.

Also the distributed entry point: `torchrun --nproc_per_node K -m recipe_studio train ...`.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_PROBLEMS, EXIT_USAGE, parse_overrides, print_diagnostics, usage_error,
)
from recipe_studio.cli.options import (
    ColorOption, OutputFormat, VarOption, VarsOption, epochs_option, output_option,
    quiet_option,
)

if TYPE_CHECKING:
    from rich.console import Console

    from recipe_studio.bridge.trainer import EpochMetrics, TrainResult


@app.command()
def train(
    recipe: Annotated[str, typer.Option(
        "--recipe", "-r", metavar="FILE", help="The recipe (.yaml or .md) to train with.")],
    task: Annotated[str, typer.Option(
        "--task", "-t", metavar="TASK",
        help="`digits` (a small CNN on scikit-learn's bundled digits) or "
             "`package.module:function` returning a Task.")] = "digits",
    epochs: Annotated[Optional[float], epochs_option(
        "Rescale the recipe to this many epochs first (as `recipe-studio scale`).",
        min=0.0)] = None,
    var: VarOption = None,
    vars_: VarsOption = None,
    out: Annotated[str, output_option(
        "Output directory for recipe.yaml, model.pt, model.onnx and metrics.json.",
        metavar="DIR")] = "recipe-studio-run",
    seed: Annotated[int, typer.Option("--seed", metavar="N",
                                      help="Random seed (the same on every rank).")] = 0,
    no_export: Annotated[bool, typer.Option(
        "--no-export", help="Skip the ONNX export.")] = False,
    quiet: Annotated[bool, quiet_option(
        "Show no progress bar (shown only when standard error is a terminal); the per-epoch "
        "lines remain.")] = False,
    color: ColorOption = None,
) -> None:
    """Train a task with a recipe through SparseML, checking each epoch against the schedule.

    The recipe is validated first (nothing runs when it has errors). Each epoch prints the
    loss, accuracy, learning rate and measured sparsity next to what the schedule predicts;
    a difference is a warning. Exit 0 on success, 1 when the recipe is invalid or training
    fails, 2 for usage errors (bad task, missing `sparseml` extra, unwritable output).
    """
    from recipe_studio.bridge._deps import MissingDependency
    from recipe_studio.bridge.export import ExportError
    from recipe_studio.bridge.manager import RecipeError, ScheduleMismatch
    from recipe_studio.bridge.tasks import TaskError
    from recipe_studio.bridge.trainer import TrainingError, train as run_training

    overrides = parse_overrides(var, vars_)
    main_rank = int(os.environ.get("RANK", "0")) == 0
    console = _console(color)
    view = _Progress(console, quiet or not main_rank, color)
    try:
        with warnings.catch_warnings():
            # rendered in the epoch lines instead of Python's warning format
            warnings.simplefilter("ignore", ScheduleMismatch)
            with view:
                # an invalid recipe raises before torch is imported or anything is written
                result = run_training(recipe, task, out, epochs=epochs, variables=overrides,
                                      seed=seed, export=not no_export,
                                      on_start=view.start, on_step=view.step,
                                      on_epoch=view.epoch)
    except RecipeError as e:
        _print_recipe_error(e, recipe, color, main_rank)
        code = EXIT_USAGE if any(d.code == "RS001" for d in e.diagnostics) else EXIT_PROBLEMS
        raise typer.Exit(code) from None
    except (MissingDependency, TaskError) as e:
        raise usage_error(str(e)) from None
    except OSError as e:
        raise usage_error(f"cannot write to `{out}`: {e.strerror or e}") from None
    except (TrainingError, ExportError) as e:
        sys.stderr.write(f"recipe-studio: error: {e}\n")
        raise typer.Exit(EXIT_PROBLEMS) from None
    if main_rank:
        _summary(console, result)


def _console(color: bool | None) -> Console:
    from recipe_studio.render.console import make_console

    return make_console(None, color, soft_wrap=True, markup=True)


def _print_recipe_error(e: Any, path: str, color: bool | None, main_rank: bool) -> None:
    if not main_rank:
        return
    recipe = e.recipe
    if recipe is None:
        from recipe_studio.read.load import load

        recipe = load(path)
    if e.diagnostics:
        print_diagnostics(e.diagnostics, {recipe.path: recipe, None: recipe},
                          OutputFormat.text, stream=sys.stderr, color=color)
    sys.stderr.write(f"recipe-studio: {e.message}; nothing was trained\n")


class _Progress:
    """One line per epoch on stdout (rank 0 only) and, when standard error is a terminal, a
    live display there: the current epoch's steps with its elapsed time and ETA, and the
    whole run's epochs with its elapsed time and ETA.

    When stdout is a terminal too, the epoch lines are printed above the display.
    """

    def __init__(self, console: Console, quiet: bool, color: bool | None = None):
        self.console = console
        self.quiet = quiet or not sys.stderr.isatty()
        self.color = color
        self.progress: Any = None
        self.bar: Any = None
        self.run: Any = None
        self.epochs = 0

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def start(self, handle: Any, task: Any) -> None:
        self.epochs = handle.max_epochs
        world = int(os.environ.get("WORLD_SIZE", "1"))
        ranks = f" on {world} ranks (DistributedDataParallel)" if world > 1 else ""
        self.console.print(
            f"training `{task.name}` for {handle.max_epochs} epochs × "
            f"{handle.steps_per_epoch} steps{ranks} with {handle.recipe.path or 'the recipe'}")
        if self.quiet:
            return
        from rich.progress import (
            BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from recipe_studio.render.console import make_console

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"), TextColumn("elapsed"), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(),
            console=make_console(sys.stderr, self.color), transient=True,
            redirect_stdout=False, redirect_stderr=False)
        self.bar = self.progress.add_task(f"epoch 1/{self.epochs}",
                                          total=handle.steps_per_epoch, loss="loss -")
        self.run = self.progress.add_task("all epochs", total=self.epochs, loss="")
        self.progress.start()

    def step(self, epoch: int, step: int, steps: int, loss: float) -> None:
        if self.progress is None:
            return
        if step == 0:
            self.progress.reset(self.bar, total=steps)
        self.progress.update(self.bar, completed=step + 1, loss=f"loss {loss:.4f}",
                             description=f"epoch {epoch + 1}/{self.epochs}")
        self.progress.update(self.run, completed=epoch + (step + 1) / max(steps, 1))

    def epoch(self, m: EpochMetrics) -> None:
        width = len(str(m.epochs))
        acc = f"{m.accuracy:7.2%}" if m.accuracy is not None else "      -"
        expected = (f" (expected {m.expected_sparsity:6.2%})"
                    if m.expected_sparsity is not None else "")
        line = (f"epoch {m.epoch + 1:>{width}}/{m.epochs}  loss {m.loss:.4f}  acc {acc}  "
                f"lr {m.lr:<9.4g}  sparsity {m.sparsity:6.2%}{expected}  {m.seconds:5.1f}s")
        self._print(line)
        for w in m.warnings:
            self._print(f"  [yellow]warning:[/yellow] {_escape(w)}")

    def _print(self, text: str) -> None:
        """A line on stdout; when stdout is the terminal the live display is on, through
        the display's console, which keeps the line above the display."""
        if self.progress is not None and sys.stdout.isatty():
            self.progress.console.print(text, markup=True, highlight=False, soft_wrap=True)
        else:
            self.console.print(text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _summary(console: Console, result: TrainResult) -> None:
    final = result.metrics.get("final", {})
    acc = final.get("accuracy")
    parts = [f"accuracy {acc:.2%}" if acc is not None else None,
             f"conv/linear weight sparsity {final.get('weight_sparsity', 0.0):.2%}"]
    console.print("done: " + ", ".join(p for p in parts if p))
    if result.export is not None:
        e = result.export
        kind = "quantized (int8 weights)" if e.quantized else "float"
        console.print(f"ONNX: {e.path}  {e.bytes:,} bytes ({e.gzip_bytes:,} gzipped), {kind}, "
                      f"exported sparsity {e.onnx_sparsity or 0.0:.2%}, loads in onnxruntime "
                      f"(max |Δ| vs torch {e.max_abs_diff:.3g})")
    warnings_count = len(result.warnings)
    if warnings_count:
        console.print(f"[yellow]{warnings_count} schedule warning"
                      f"{'s' if warnings_count != 1 else ''}[/yellow] (see metrics.json)")
    else:
        console.print("every epoch matched the schedule's prediction")
    for kind, path in result.files.items():
        console.print(f"  {kind:<10} {path}")
