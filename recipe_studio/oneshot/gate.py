"""The check before a one-shot run: the recipe loaded for llm-compressor 0.14 and linted."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass
class Gate:
    recipe: Any  # read.recipe.Recipe
    diagnostics: list

    @property
    def stage_recipe(self) -> Any:
        return self.recipe.stage_recipe


def gate(path: str | os.PathLike[str]) -> Gate:
    """Load `path` with target `llmcompressor` and lint it (configuration discovered as for
    `lint`); the caller refuses to run on any error, or when it is not a stage recipe."""
    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.read.load import load

    recipe = load(path, target="llmcompressor")
    return Gate(recipe, lint_recipe(recipe, LintSettings()))
