"""`recipe-studio diff A B`: what SparseML would do differently with two recipes."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, parse_overrides, print_diagnostics,
)
from recipe_studio.cli.options import (
    ColorOption, OutputFormat, StageOption, TargetOption, VarOption, VarsOption, format_option,
)


@app.command()
def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="The first recipe.")],
    b: Annotated[str, typer.Argument(metavar="B", help="The second recipe.")],
    format: Annotated[Literal[OutputFormat.text, OutputFormat.json],
                      format_option()] = OutputFormat.text,
    var: VarOption = None,
    vars_: VarsOption = None,
    color: ColorOption = None,
    target: TargetOption = None,
    stage: StageOption = None,
) -> None:
    """Compare two recipes by what SparseML does with them, not by their text.

    Layout, comments, key order, anchors versus literals and `!pytorch.` prefixes are not
    differences. Exit 0 when equivalent, 1 when different, 2 on error.

    Stage recipes: modifiers are paired across stages (by stage, group and type) and their
    arguments compared as the library receives them (`--target` picks the library).
    """
    from recipe_studio.cli.stage_support import diff_stages, load_with_target
    from recipe_studio.diff.semantic import DiffError, diff_recipes

    overrides = parse_overrides(var, vars_)
    ra = load_with_target(a, overrides, target, stage=stage)
    rb = load_with_target(b, overrides, target, stage=stage)
    if ra.stage_recipe is not None or rb.stage_recipe is not None:  # diff/stages.py
        diff_stages(ra, rb, a, b, overrides, format.value, color)
    try:
        result = diff_recipes(ra, rb)
    except DiffError as e:
        recipe = e.recipe
        if recipe is not None and recipe.diagnostics:
            print_diagnostics(recipe.errors or recipe.diagnostics, {recipe.path: recipe},
                              OutputFormat.text, stream=sys.stderr, color=color,
                              summary=False)
        typer.echo(f"recipe-studio: cannot compare: {e.message}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    from recipe_studio.render.diff import RENDERERS

    RENDERERS[format.value](result, a, b, sys.stdout)
    raise typer.Exit(EXIT_OK if result.equivalent else EXIT_PROBLEMS)

