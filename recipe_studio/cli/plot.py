"""`recipe-studio plot PATH -o FILE.png|svg`: the schedule as a picture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import EXIT_PROBLEMS, EXIT_USAGE
from recipe_studio.cli.options import (
    ColorOption, StepsPerEpochOption, VarOption, VarsOption, output_option,
)
from recipe_studio.cli.show import load_schedule
from recipe_studio.io import atomic_write_bytes


@app.command()
def plot(
    path: Annotated[str, typer.Argument(metavar="PATH", help="The recipe file.")],
    output: Annotated[str, output_option("The picture to write: a .png or .svg file.")],
    steps_per_epoch: StepsPerEpochOption = None,
    var: VarOption = None,
    vars_: VarsOption = None,
    color: ColorOption = None,
) -> None:
    """Plot the schedule: each pruner's sparsity, the learning rate and the phases
    (pruning, recovery, QAT) over the epochs. Needs the `plot` extra (matplotlib).

    Exit 0, 1 when the recipe has errors or will crash SparseML (the plot is still written
    for a crash), 2 for usage or I/O errors.
    """
    from recipe_studio.render.plot import FORMATS, PlotUnavailable, render_plot

    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        typer.echo(f"recipe-studio: error: `{output}`: the output must end in .png or .svg",
                   err=True)
        raise typer.Exit(EXIT_USAGE)
    recipe, schedule, _ = load_schedule(path, var, vars_, steps_per_epoch, color)
    try:
        data = render_plot(schedule, recipe, fmt, title=Path(path).name)
    except PlotUnavailable as e:
        typer.echo(f"recipe-studio: error: {e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    try:
        atomic_write_bytes(output, data)
    except OSError as e:
        typer.echo(f"recipe-studio: error: cannot write `{output}`: {e.strerror or e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(f"wrote {output}", err=True)
    for crash in schedule.crashes:
        typer.echo(f"recipe-studio: error: {path}:{crash.line}: {crash.type} makes SparseML "
                   f"raise {crash.exception} at epoch {crash.epoch:g}: {crash.message}",
                   err=True)
    if schedule.crashes:
        raise typer.Exit(EXIT_PROBLEMS)
