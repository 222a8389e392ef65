"""What the commands share for stage recipes and for the configuration that changes how a
recipe reads: the `--target` option's value (else the `target` configuration key, else the
reader's inference), the `modifier-stubs` catalogue of the file's configuration, the `--stage`
selection, and loading a recipe with all three (`load_with_target`, the one path of
`finalize`, `show`, `diff`; `format` and `scale` take the same catalogue from
:func:`stubs_for`)."""

from __future__ import annotations

import difflib
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


def _config(path: str | None) -> Any:
    """The configuration that applies to `path` (None: the working directory's), or None."""
    from recipe_studio.lint.config import ConfigError, discover_config

    start = Path(os.path.dirname(os.path.abspath(path))) if path else Path.cwd()
    try:
        return discover_config(start, _CONFIGS)
    except ConfigError as e:
        raise usage_error(str(e)) from None


def target_for(path: str | None, target: str | None) -> str | None:
    """`--target`, else `target` from the configuration that applies to `path` (standard
    input: the working directory's), else None (the reader infers it)."""
    check_target(target)
    if target:
        return target
    cfg = _config(path)
    return cfg.target if cfg is not None else None


def stubs_for(path: str | None) -> Any:
    """The `modifier-stubs` catalogue of the configuration that applies to `path`, or None
    (as `lint.run.check_file` finds it for `validate` and `lint`)."""
    cfg = _config(path)
    if cfg is None or not getattr(cfg, "modifier_stubs", None):
        return None
    from recipe_studio import stubs

    try:
        return stubs.cached_catalogue(cfg.modifier_stubs)
    except stubs.CatalogueError as e:  # changed since the configuration was read
        raise usage_error(str(e)) from None


def load_with_target(path: str, overrides: Sequence[Any], target: str | None,
                     stdin: bool = False, stdin_filename: str | None = None,
                     stage: str | None = None) -> Any:
    """Load a recipe (file, or standard input when `stdin`) with the target and the modifier
    stubs of its configuration (standard input: that of `--stdin-filename`, else the working
    directory's), and the `--stage` selection (a usage error when it selects nothing)."""
    from recipe_studio.read.load import load

    check_target(target)
    where = (stdin_filename or None) if stdin else path
    if stdin:
        from recipe_studio.read.recipe import Recipe
        from recipe_studio.read.source import SourceError, read_stdin

        try:
            source = read_stdin(stdin_filename)
        except SourceError as e:
            return Recipe(source=None, diagnostics=[e.diagnostic])
    else:
        source = path
    recipe = load(source, overrides=overrides, target=target_for(where, target),
                  target_stage=stage, stubs=stubs_for(where))
    check_stage(recipe, stage)
    return recipe


# ---- --stage ---------------------------------------------------------------------------------

def stage_problem(recipe: Any, stage: str | None) -> str | None:
    """Why `--stage` does not apply to `recipe` (a classic recipe; no stage selected), or
    None. The libraries themselves load such a selection silently and run no modifier."""
    if stage is None or recipe.source is None:
        return None
    name = recipe.path or "<stdin>"
    if name.lower().endswith((".py", ".pyi")):
        return (f"{name}: --stage selects a stage of a YAML or JSON stage recipe; the recipes "
                "a Python script builds are modifier lists (pass `stage=` to the library)")
    sr = recipe.stage_recipe
    if sr is None:
        if recipe.errors and not recipe.modifiers:
            return None  # unreadable: its errors say why
        return (f"{name}: --stage selects a stage of a stage recipe; this is a classic recipe "
                "(`modifiers:` without stages)")
    if sr.stages:
        return None
    from recipe_studio.models import stage as stage_models

    library = stage_models.display(sr.target)
    if sr.target == "sparseml":
        how = (f"{library} runs the stage whose name is exactly `{stage}` (a `*_stage` key's "
               "name is the key without `_stage`)")
        candidates = [n for _, n in sr.all_stages]
    else:
        how = f"{library} keeps the top-level keys that start with `{stage}`"
        candidates = [n for _, n in sr.all_stages] + [k for k, _ in sr.all_stages]
    if not sr.all_stages:
        return f"{name}: --stage `{stage}` selects nothing: the recipe has no stage"
    listed = ", ".join(f"`{n}`" if sr.target == "sparseml" else f"`{k}`"
                       for k, n in sr.all_stages)
    guess = next((n for k, n in sr.all_stages if stage in (k, n + "_stage")), None) \
        or next(iter(difflib.get_close_matches(stage, candidates, n=1, cutoff=0.6)), None) \
        or next((n for _, n in sr.all_stages if n and stage.startswith(n)), None)
    hint = f"; did you mean `{guess}`?" if guess and guess != stage else ""
    return (f"{name}: --stage `{stage}` selects no stage: {how}; its stages: {listed}{hint}")


def check_stage(recipe: Any, stage: str | None) -> None:
    problem = stage_problem(recipe, stage)
    if problem is not None:
        raise usage_error(problem)


def check_stage_files(paths: Sequence[str], options: Any, stdin: Any = None) -> None:
    """`validate`/`lint --stage`: every file must be a stage recipe with a stage selected;
    all that are not are reported at once (a usage error, exit 2)."""
    if options.target_stage is None:
        return
    from recipe_studio.read.load import load

    problems = []
    for path in paths:
        where = stdin.path if stdin is not None and path == "-" else path
        if options.target:
            target = options.target
        elif options.settings is not None:  # lint: its configuration (perhaps --config)
            target = options.settings.config_for(where or path).target
        else:
            target = target_for(where, None)
        if stdin is not None and path == "-":
            if stdin.source is None:
                continue
            recipe = load(stdin.source, target=target, target_stage=options.target_stage,
                          stubs=stubs_for(where))
        else:
            recipe = load(path, target=target, target_stage=options.target_stage,
                          stubs=stubs_for(path))
        problem = stage_problem(recipe, options.target_stage)
        if problem is not None:
            problems.append(problem)
    if problems:
        import sys

        for problem in problems[:-1]:
            sys.stderr.write(f"recipe-studio: error: {problem}\n")
        raise usage_error(problems[-1])


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

        if rb.source is not None:
            rb = load(rb.source, target=ra.stage_recipe.target,
                      target_stage=rb.stage_recipe.target_stage, stubs=stubs_for(rb.path))
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
