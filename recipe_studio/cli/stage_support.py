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
