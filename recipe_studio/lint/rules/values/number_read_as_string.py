"""A number that PyYAML (and so SparseML) reads as a string.

## What it does
Flags unquoted values such as `1e-5`, `1.0e5` or `5E-3` that look like numbers but are
strings under YAML 1.1, the YAML version PyYAML implements: a YAML 1.1 float needs a `.`
and, if it has an exponent, an explicit sign.

## Why is this bad?
Editors and YAML 1.2 tools show a number, SparseML sees a string. In a variable it makes the variable non-numeric, so
`eval(lr * 0.1)` fails with a misleading "cycle or not defined" error; in a sparsity field
it is a type error.

Not reported on fields SparseML converts with `float()` itself (epochs, learning rates,
`damp` of `!OBSPruningModifier`...): there the string works, and SparseML's own docs write
`damp: 1e-7`. `recipe-studio` records those fields in its models and checks the list
against SparseML.

## SparseML behaviour
`yaml.safe_load("lr: 1e-5")` gives `{'lr': '1e-5'}` (measured); `!OBSPruningModifier`
with `damp: 1e-7` loads with `damp == 1e-07`.

## Example
```yaml
init_lr: 1e-5
```

## Use instead
```yaml
init_lr: 1.0e-5
```

## Fix safety
Safe: rewrites the number in a form both YAML 1.1 and 1.2 read as the same float.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Severity
from recipe_studio.models import catalog
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.read.yamltree import STR, YScalar

if TYPE_CHECKING:
    from recipe_studio.read.recipe import Recipe

_NUMERIC = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$")
#: the characters a non-empty _NUMERIC match can start with (most scalars are rejected here)
_NUMERIC_FIRST = frozenset("+-.0123456789eE")


def yaml11_float(text: str) -> str | None:
    """`1e-5` → `1.0e-5`: a spelling PyYAML reads as a float, or None if not a number."""
    t = text.replace("_", "")
    m = re.match(r"^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?)(\d+))?$", t)
    if not m or not (m.group(2) or m.group(3)):
        return None
    sign, whole, frac, esign, exp = m.groups()
    out = f"{sign}{whole or '0'}.{frac or '0'}"
    if exp is not None:
        out += f"e{esign or '+'}{exp}"
    return out


def _float_cast_values(recipe: Recipe) -> set[int]:
    """Value nodes written directly in a field SparseML passes through `float()` itself."""
    out: set[int] = set()
    for entry in recipe.modifiers:
        model = catalog.model_for(entry.type, [k for k in entry.args if isinstance(k, str)])
        if model is None:
            continue
        floats = {name for name, kind in model.cast_fields().items() if kind == "float"}
        for path, site in entry.fields.items():
            if len(path) == 1 and path[0] in floats and site.node is not None \
                    and site.alias is None and site.expression is None:
                out.add(id(site.node))
    return out


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    recipe = ctx.recipe
    src = recipe.source
    if recipe.doc is None or src is None:
        return
    nodes = recipe.doc.all_nodes()
    # what a candidate must not be (a mapping key, a value SparseML casts itself): worked
    # out only when there is a candidate, which few recipes have
    keys: set[int] | None = None
    cast: set[int] = set()
    for node in nodes:
        if node.__class__ is not YScalar or node.style not in (None, ""):
            continue
        if node.resolved != STR or node.tag is not None or not isinstance(node.value, str):
            continue
        raw = node.value
        if raw[:1] not in _NUMERIC_FIRST or not _NUMERIC.match(raw) or \
                not any(c.isdigit() for c in raw):
            continue
        if keys is None:
            keys = {id(p.key) for n in nodes if hasattr(n, "pairs") for p in n.pairs}
            cast = _float_cast_values(recipe)
        if id(node) in keys or id(node) in cast:
            continue
        try:
            value = float(raw.replace("_", ""))
        except ValueError:
            continue
        fixed = yaml11_float(raw)
        fix = None
        if fixed is not None:
            fix = Fix(f"write `{fixed}`", (Edit(src.start + node.start, src.start + node.end,
                                                fixed),))
        yield ctx.diagnostic(
            src.span(node.start, node.end),
            f"`{raw}` is the string '{raw}' to PyYAML (YAML 1.1), not the number {value:g}",
            help=f"write `{fixed}` (YAML 1.1 floats need a `.` and a signed exponent)"
            if fixed else "quote it if a string is meant", fix=fix)


RULE = Rule(code="RS210", name="number-read-as-string", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="always")
