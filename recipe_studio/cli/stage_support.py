"""What the commands share for stage recipes: the `--target` option's value (else the `target`
configuration key, else the reader's inference) and loading a recipe with it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from recipe_studio.cli.common import usage_error

TARGETS = ("sparseml", "llmcompressor")
#: configurations found, by directory (one discovery per directory per run)
_CONFIGS: dict = {}


def check_target(target: str | None) -> None:
    if target not in (None, *TARGETS):
        raise usage_error(f"--target must be `sparseml` or `llmcompressor`, not `{target}`")


def target_for(path: str | None, target: str | None) -> str | None:
    """`--target`, else `target` from the configuration that applies to `path` (standard
    input: the working directory's), else None (the reader infers it)."""
    check_target(target)
    if target:
        return target
    from recipe_studio.lint.config import ConfigError, discover_config

    start = Path(os.path.dirname(os.path.abspath(path))) if path else Path.cwd()
    try:
        cfg = discover_config(start, _CONFIGS)
    except ConfigError as e:
        raise usage_error(str(e)) from None
    return cfg.target if cfg is not None else None


def load_with_target(path: str, overrides: Sequence[Any], target: str | None,
                     stdin: bool = False, stdin_filename: str | None = None) -> Any:
    """Load a recipe (file, or standard input when `stdin`) with the target that applies."""
    from recipe_studio.read.load import load

    if stdin:
        from recipe_studio.read.recipe import Recipe
        from recipe_studio.read.source import SourceError, read_stdin

        try:
            source = read_stdin(stdin_filename)
        except SourceError as e:
            return Recipe(source=None, diagnostics=[e.diagnostic])
        return load(source, overrides=overrides, target=target_for(None, target))
    return load(path, overrides=overrides, target=target_for(path, target))


def no_overrides(recipe: Any, overrides: Sequence[Any]) -> None:
    """`--var`/`--vars` are not applied to stage recipes (the stage reader takes none): a usage
    error rather than a silently ignored option."""
    if overrides and recipe.stage_recipe is not None:
        raise usage_error(f"{recipe.path}: --var/--vars apply to classic recipes only; a stage "
                          "recipe's variables are its top-level keys (SparseML 1.8)")


def show_stages(recipe: Any, overrides: Sequence[Any], format: str, color: bool | None) -> None:
    """`show` for a stage recipe (render/stages.py); always ends the command: 0, or 1 when the
    recipe has errors (printed, as for a classic recipe), 2 when it cannot be read."""
    import sys

    import typer

    from recipe_studio.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics
    from recipe_studio.cli.options import OutputFormat
    from recipe_studio.render import stages

    no_overrides(recipe, overrides)
    if not recipe.ok:
        print_diagnostics(recipe.errors, {recipe.path: recipe}, OutputFormat.text,
                          stream=sys.stderr, color=color)
        raise typer.Exit(EXIT_USAGE if recipe.source is None else EXIT_PROBLEMS)
    if format == "json":
        stages.write_json(recipe, sys.stdout)
    else:
        stages.render_text(recipe, sys.stdout)
    raise typer.Exit(EXIT_OK)


def diff_stages(ra: Any, rb: Any, name_a: str, name_b: str, overrides: Sequence[Any],
                format: str, color: bool | None) -> None:
    """`diff` when either recipe is a stage recipe (diff/stages.py); always ends the command:
    0 equivalent, 1 different, 2 when they cannot be compared."""
    import json
    import sys

    import typer

    from recipe_studio.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics
    from recipe_studio.cli.options import OutputFormat
    from recipe_studio.diff.stages import DiffError, diff_stage_recipes, render_text

    for r in (ra, rb):
        no_overrides(r, overrides)
    if ra.stage_recipe is not None and rb.stage_recipe is not None and \
            ra.stage_recipe.target != rb.stage_recipe.target:
        # one library for both: the first recipe's (its inference, when nothing was told)
        from recipe_studio.read.load import load

        rb = load(rb.source, target=ra.stage_recipe.target) if rb.source is not None else rb
    try:
        result = diff_stage_recipes(ra, rb)
    except DiffError as e:
        recipe = e.recipe
        if recipe is not None and recipe.errors:
            print_diagnostics(recipe.errors, {recipe.path: recipe}, OutputFormat.text,
                              stream=sys.stderr, color=color, summary=False)
        typer.echo(f"recipe-studio: cannot compare: {e.message}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if format == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render_text(result, name_a, name_b, sys.stdout)
    raise typer.Exit(EXIT_OK if result.equivalent else EXIT_PROBLEMS)


def _final_yaml(recipe: Any) -> str:
    from recipe_studio.transform.stage_finalize import finalize_yaml

    return finalize_yaml(recipe)


def _final_json(recipe: Any) -> str:
    import json

    from recipe_studio.render import json_default
    from recipe_studio.transform.stage_finalize import finalize_data

    return json.dumps(finalize_data(recipe), indent=2, default=json_default) + "\n"


def _finalizers() -> dict:
    from recipe_studio.cli.options import OutputFormat

    return {OutputFormat.yaml: _final_yaml, OutputFormat.json: _final_json}


#: `finalize --format` → the finalized stage recipe's text
STAGE_FINALIZERS = _finalizers()
