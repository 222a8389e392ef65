"""`recipe-studio finalize PATH`: the concrete recipe SparseML should run."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Literal, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_PROBLEMS, EXIT_USAGE, parse_overrides, print_diagnostics, stdin_requested,
)
from recipe_studio.cli.options import (
    ColorOption, OutputFormat, StageOption, StdinFilenameOption, TargetOption, VarOption, VarsOption,
    format_option, output_option,
)

if TYPE_CHECKING:
    from recipe_studio.read.recipe import Recipe


@app.command()
def finalize(
    path: Annotated[str, typer.Argument(
        metavar="PATH", help="The recipe file, or `-` for standard input.")],
    var: VarOption = None,
    vars_: VarsOption = None,
    output: Annotated[Optional[str], output_option(
        "Write the recipe to this file (atomically) instead of standard output.")] = None,
    format: Annotated[Literal[OutputFormat.yaml, OutputFormat.json],
                      format_option()] = OutputFormat.yaml,
    stdin_filename: StdinFilenameOption = None,
    color: ColorOption = None,
    target: TargetOption = None,
    stage: StageOption = None,
) -> None:
    """Resolve variables and eval(), expand anchors, and print the recipe SparseML will run.

    Refuses (exit 1, nothing written) when the recipe has errors.
    """
    from recipe_studio.cli.stage_support import STAGE_FINALIZERS, load_with_target, no_overrides
    from recipe_studio.io import atomic_write

    overrides = parse_overrides(var, vars_)
    recipe = load_with_target(path, overrides, target, stdin_requested([path], stdin_filename),
                              stdin_filename, stage=stage)
    renderers = RENDERERS
    if recipe.stage_recipe is not None:  # a stage recipe: transform/stage_finalize.py
        no_overrides(recipe, overrides)
        renderers = STAGE_FINALIZERS
    if recipe.diagnostics:
        print_diagnostics(recipe.diagnostics, {recipe.path: recipe}, OutputFormat.text,
                          stream=sys.stderr, color=color, summary=not recipe.ok)
    if recipe.source is None and any(d.code == "RS001" for d in recipe.diagnostics):
        raise typer.Exit(EXIT_USAGE)
    if not recipe.ok:
        raise typer.Exit(EXIT_PROBLEMS)
    text = renderers[format](recipe)
    if output:
        try:
            atomic_write(output, text)
        except OSError as e:
            typer.echo(f"recipe-studio: error: cannot write `{output}`: {e.strerror or e}",
                       err=True)
            raise typer.Exit(EXIT_USAGE) from None
        typer.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)


def _yaml(recipe: Recipe) -> str:
    from recipe_studio.transform.finalize import finalize_yaml

    return finalize_yaml(recipe)


def _json(recipe: Recipe) -> str:
    import json

    from recipe_studio.render import json_default
    from recipe_studio.transform.finalize import finalize_data

    return json.dumps(finalize_data(recipe), indent=2, default=json_default) + "\n"


#: `--format` → the finalized recipe's text
RENDERERS = {OutputFormat.yaml: _yaml, OutputFormat.json: _json}
