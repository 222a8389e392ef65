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


def gate(path: str | os.PathLike[str], model: str | os.PathLike[str] | None = None, *,
         stage: str | None = None) -> Gate:
    """Load `path` with target `llmcompressor` and lint it (configuration discovered as for
    `lint`); the caller refuses to run on any error, or when it is not a stage recipe.

    `model` (the model directory) feeds the model-aware rules when `lint --model` can read
    it (:func:`recipe_studio.lint.modelinfo.read_model`); when it cannot, the rules that need
    a model stay silent, as in `lint` without `--model`. `stage`: llm-compressor's
    `oneshot(stage=...)` (the stages whose key starts with it)."""
    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.lint.modelinfo import ModelError, read_model
    from recipe_studio.read.load import load

    settings = LintSettings()
    if model is not None:
        try:
            settings.model = read_model(model)
        except (ModelError, OSError):
            pass
    recipe = load(path, target="llmcompressor", target_stage=stage)
    return Gate(recipe, lint_recipe(recipe, settings))
