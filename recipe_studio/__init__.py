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

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Diagnostic", "Fix", "Recipe", "Severity", "Span", "finalize_data", "finalize_yaml",
    "load", "validate",
]

_LAZY = {
    "load": "recipe_studio.load",
    "validate": "recipe_studio.load",
    "Recipe": "recipe_studio.recipe",
    "Diagnostic": "recipe_studio.diagnostics",
    "Fix": "recipe_studio.diagnostics",
    "Severity": "recipe_studio.diagnostics",
    "Span": "recipe_studio.diagnostics",
    "finalize_yaml": "recipe_studio.finalize",
    "finalize_data": "recipe_studio.finalize",
}

if TYPE_CHECKING:  # pragma: no cover
    from recipe_studio.diagnostics import Diagnostic, Fix, Severity, Span
    from recipe_studio.finalize import finalize_data, finalize_yaml
    from recipe_studio.load import load, validate
    from recipe_studio.recipe import Recipe


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


class _Package(types.ModuleType):
    """The package's module type: a submodule import cannot replace a public function.

    Importing a submodule makes Python set it as an attribute of the package, and
    `recipe_studio/load.py` has the name of the documented function `recipe_studio.load`:
    after `import recipe_studio.load` (which `scale_text()` and most commands do), the
    package attribute `load` would be the module. The import system's `setattr` is ignored
    for the lazily exported names, so `recipe_studio.load` stays the function; the module
    is still `sys.modules["recipe_studio.load"]`, and `from recipe_studio.load import ...`
    works as before.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
