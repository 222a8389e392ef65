"""The bridge's error type, a leaf: `manager` raises it and `qat` subclasses it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from recipe_studio.diagnostics import Diagnostic

if TYPE_CHECKING:
    from recipe_studio.read.recipe import Recipe


class RecipeError(ValueError):
    """The recipe does not load, validate or scale; `diagnostics` says where and why."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = (),
                 recipe: Recipe | None = None):
        self.diagnostics = list(diagnostics)
        self.recipe = recipe
        shown = [f"{d.path or '<recipe>'}:{d.span.line}:{d.span.column}: {d.code} {d.message}"
                 for d in self.diagnostics[:10]]
        more = len(self.diagnostics) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more")
        super().__init__("\n".join([message, *shown]) if shown else message)
        self.message = message
