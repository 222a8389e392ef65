"""`recipe-studio schema`: the recipe JSON Schema and yaml-language-server's customTags."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import EXIT_PROBLEMS, EXIT_USAGE, usage_error
from recipe_studio.cli.options import output_option


@app.command()
def schema(
    output: Annotated[Optional[str], output_option(
        "Write to this file (`-` for standard output). Default: "
        "`schemas/recipe.schema.json` and `schemas/custom-tags.json` under the current "
        "directory.")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; exit 1 when the file is missing or out of date.")]
        = False,
    custom_tags: Annotated[bool, typer.Option(
        "--custom-tags", help="The `yaml.customTags` list (every modifier tag) instead of "
                              "the schema.")] = False,
    target: Annotated[Optional[str], typer.Option(
        "--target", help="Stage recipes: check modifiers against this library only "
                         "(`sparseml` or `llmcompressor`; default: either). Needs `-o`.")]
        = None,
) -> None:
    """Generate the recipe JSON Schema (for yaml-language-server) and its customTags list.

    Both come from the modifier models.

    Exit code 0: written or up to date; 1: `--check` found a stale or missing file; 2: usage.
    """
    from recipe_studio import stubs
    from recipe_studio.lint.errors import ConfigError
    from recipe_studio.models import schema as schema_mod
    from recipe_studio.io import atomic_write

    from pathlib import Path

    from recipe_studio.lint.config import discover_config

    if target is not None:
        if target not in ("sparseml", "llmcompressor"):
            raise usage_error(f"`--target` must be `sparseml` or `llmcompressor`, got `{target}`")
        if output is None or custom_tags:
            raise usage_error("`--target` writes a schema of its own: give it `-o FILE` (and "
                              "no `--custom-tags`)")
    try:  # `modifier-stubs` of the configuration found from here: the user's own modifiers
        config = discover_config(Path.cwd())
        catalogue = stubs.cached_catalogue(config.modifier_stubs) if config else None
    except (ConfigError, stubs.CatalogueError) as e:
        raise usage_error(str(e)) from None
    with stubs.using(catalogue):
        _schema(output, check, custom_tags, target, schema_mod, atomic_write)


def _schema(output: Optional[str], check: bool, custom_tags: bool, target: Optional[str],
            schema_mod: Any, atomic_write: Any) -> None:
    from pathlib import Path

    def render_target() -> str:
        return schema_mod.render_schema(target)

    if output is None:
        targets = [(schema_mod.CUSTOM_TAGS_FILE, schema_mod.render_custom_tags)]
        if not custom_tags:
            targets.insert(0, (schema_mod.SCHEMA_FILE, schema_mod.render_schema))
    elif custom_tags:
        targets = [(output, schema_mod.render_custom_tags)]
    else:
        targets = [(output, render_target if target else schema_mod.render_schema)]

    if output == "-":
        if check:
            raise usage_error("`--check` needs a file to compare with, not `-o -`")
        sys.stdout.write(targets[0][1]())
        return

    stale = False
    for name, render in targets:
        path = Path(name)
        text = render()
        if path.is_dir():
            raise usage_error(f"`{name}` is a directory")
        try:
            current = path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError) as e:
            typer.echo(f"recipe-studio: error: cannot read `{name}`: {e}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        if current == text:
            typer.echo(f"{name} is up to date")
            continue
        if check:
            stale = True
            why = "does not exist" if current is None else "is out of date"
            typer.echo(f"{name} {why}; run `recipe-studio schema"
                       + (f" -o {name}" if output else "")
                       + (" --custom-tags" if custom_tags else "") + "` to update it",
                       err=True)
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
        except OSError as e:
            typer.echo(f"recipe-studio: error: cannot write `{name}`: {e.strerror or e}",
                       err=True)
            raise typer.Exit(EXIT_USAGE) from None
        typer.echo(f"wrote {name}")
    if stale:
        raise typer.Exit(EXIT_PROBLEMS)
