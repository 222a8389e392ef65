"""`recipe-studio show PATH`: what SparseML will do with a recipe, epoch by epoch."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Annotated, Literal

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_PROBLEMS, EXIT_USAGE, parse_overrides, print_diagnostics, stdin_requested,
    usage_error,
)
from recipe_studio.cli.options import (
    ColorOption, OutputFormat, StageOption, StdinFilenameOption, StepsPerEpochOption,
    TargetOption, VarOption, VarsOption, format_option,
)

if TYPE_CHECKING:
    from recipe_studio.read.recipe import Recipe
    from recipe_studio.schedule.results import Schedule

#: kept for `plot`, which imported it from here
StepsOption = StepsPerEpochOption


def steps_per_epoch_for(path: str, given: int | None) -> tuple[int, str]:
    """The steps per epoch to simulate with, and where the value came from."""
    if given is not None:
        return given, ""
    from pathlib import Path

    from recipe_studio.lint.config import ConfigError, discover_config

    try:
        config = discover_config(Path(path).resolve().parent)
    except ConfigError as e:
        raise usage_error(str(e)) from None
    if config is not None and config.steps_per_epoch:
        return config.steps_per_epoch, f"steps-per-epoch from {config.path}"
    return 1, "default; pass --steps-per-epoch N"


def load_schedule(path: str, var: list[str] | None, vars_: str | None,
                  steps_per_epoch: int | None, color: bool | None,
                  stdin_filename: str | None = None, recipe: Recipe | None = None
                  ) -> tuple[Recipe, Schedule, str]:
    """Load and simulate, or exit: 2 for unreadable files, 1 when the recipe has errors.

    `path` may be `-` (standard input, named by `stdin_filename`); `recipe`: already loaded."""
    from recipe_studio.cli.stage_support import load_with_target
    from recipe_studio.schedule.simulation import ScheduleTooLong, simulate

    overrides = parse_overrides(var, vars_)
    if recipe is None:  # with the modifier stubs of its configuration
        recipe = load_with_target(path, overrides, None, stdin_requested([path], stdin_filename),
                                  stdin_filename)
    path = recipe.path or path
    if not recipe.ok:
        errors = recipe.errors
        print_diagnostics(errors, {recipe.path: recipe}, OutputFormat.text,
                          stream=sys.stderr, color=color)
        code = EXIT_USAGE if recipe.source is None else EXIT_PROBLEMS
        raise typer.Exit(code)
    spe, note = steps_per_epoch_for(path, steps_per_epoch)
    try:
        schedule = simulate(recipe, spe)
    except ScheduleTooLong as e:
        raise usage_error(f"{e}; pass a smaller --steps-per-epoch") from None
    return recipe, schedule, note


@app.command()
def show(
    path: Annotated[str, typer.Argument(
        metavar="PATH", help="The recipe file, or `-` for standard input.")],
    steps_per_epoch: StepsPerEpochOption = None,
    format: Annotated[Literal[OutputFormat.text, OutputFormat.json],
                      format_option()] = OutputFormat.text,
    var: VarOption = None,
    vars_: VarsOption = None,
    stdin_filename: StdinFilenameOption = None,
    color: ColorOption = None,
    target: TargetOption = None,
    stage: StageOption = None,
) -> None:
    """Show the schedule SparseML will run: a timeline of every modifier, then the learning
    rate and each pruner's sparsity per epoch.

    A stage recipe: its stages in order with their modifiers, targets and schemes, and a
    timeline for a stage that trains over epochs (`--target` picks the library).

    Exit 0, or 1 when the recipe has errors or will crash SparseML during training.
    """
    from recipe_studio.cli.stage_support import load_with_target, show_stages

    loaded = load_with_target(path, parse_overrides(var, vars_), target,
                              stdin_requested([path], stdin_filename), stdin_filename,
                              stage=stage)
    if loaded.stage_recipe is not None:  # render/stages.py
        show_stages(loaded, parse_overrides(var, vars_), format.value, color)
    recipe, schedule, note = load_schedule(path, var, vars_, steps_per_epoch, color,
                                           stdin_filename, recipe=loaded)
    RENDERERS[format](schedule, recipe, sys.stdout, path=recipe.path or path, note=note,
                      color=color)
    if schedule.crashes:
        raise typer.Exit(EXIT_PROBLEMS)


def _text(schedule: Schedule, recipe: Recipe, out: IO[str], *, path: str, note: str,
          color: bool | None) -> None:
    from recipe_studio.render.schedule_text import render_text

    render_text(schedule, recipe, out, path=path, spe_note=note, color=color)


def _json(schedule: Schedule, recipe: Recipe, out: IO[str], *, path: str, note: str,
          color: bool | None) -> None:
    """The schedule as JSON; its crashes are errors on stderr (the text form shows them)."""
    from recipe_studio.render.schedule_text import schedule_json, write_json

    write_json(schedule_json(schedule), out)
    for crash in schedule.crashes:
        typer.echo(f"recipe-studio: error: {path}:{crash.line}: {crash.type} makes "
                   f"SparseML raise {crash.exception} at step {crash.step}: "
                   f"{crash.message}", err=True)


#: `--format` → renderer
RENDERERS = {OutputFormat.text: _text, OutputFormat.json: _json}
