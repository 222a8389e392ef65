"""recipe-studio: validate, lint, scale, diff and run SparseML recipes.

The library is usable on its own::

    import recipe_studio

    recipe = recipe_studio.load("recipe.yaml")          # path, raw text or Source
    for d in recipe.diagnostics:                         # every problem, with a position
        print(d.path, d.span.line, d.code, d.message)
    for entry in recipe.modifiers:                       # typed modifiers, document order
        print(entry.type, entry.spec)                    # spec: a pydantic model (or None)

    recipe_studio.validate("recipe.yaml")                # -> list[Diagnostic]

Importing the package is cheap: submodules load on first use, and nothing here imports
torch, sparseml or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Diagnostic", "Fix", "Recipe", "Severity", "Span", "finalize_data", "finalize_yaml",
    "load", "validate",
]

_LAZY = {
    "load": "recipe_studio.read.load",
    "validate": "recipe_studio.read.load",
    "Recipe": "recipe_studio.read.recipe",
    "Diagnostic": "recipe_studio.diagnostics",
    "Fix": "recipe_studio.diagnostics",
    "Severity": "recipe_studio.diagnostics",
    "Span": "recipe_studio.diagnostics",
    "finalize_yaml": "recipe_studio.transform.finalize",
    "finalize_data": "recipe_studio.transform.finalize",
}

if TYPE_CHECKING:  # pragma: no cover
    from recipe_studio.diagnostics import Diagnostic, Fix, Severity, Span
    from recipe_studio.transform.finalize import finalize_data, finalize_yaml
    from recipe_studio.read.load import load, validate
    from recipe_studio.read.recipe import Recipe


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'recipe_studio' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
