"""A `params`, `layers` or `submodules` entry that matches nothing in the model (`--model`).

## What it does
With `--model FILE`, checks every entry of `params` (pruners, TrainableParams, SetParam,
GradualParam, Powerpropagation), `layers` (LayerPruning) and `submodules` (legacy
QuantizationModifier) against the model's parameter and module names, with SparseML's
matching: `re:` patterns are `re.match`ed (anchored at the start), plain names must be exact.

## Why is this bad?
SparseML only finds out at `modify` time, after the model is built and the data is loaded:
`RuntimeError: All supplied parameter names or regex patterns not found.` — or, with
`params_strict: false`, it silently matches nothing.

## SparseML behaviour
Raised at modify time (measured, baseline B23); silent with non-strict matching (B24).

## Example
```yaml
- !GMPruningModifier
  params: ['re:.*attention.*weight']   # a CNN has no attention layers
```

## Use instead
Patterns that match the model's names; `recipe-studio lint --model model.onnx` lists them.

## Fix safety
Unsafe: a misspelt plain name (`classifer.weight`) is renamed to the closest name of the
model (`classifier.weight`), which selects a parameter the recipe did not name before.
`re:` patterns get no fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import attr

PARAM_FIELDS = ("params",)
MODULE_FIELDS = ("layers", "submodules")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    model = ctx.model
    if model is None:
        return
    for entry in ctx.valid():
        for field in PARAM_FIELDS + MODULE_FIELDS:
            value = entry.args.get(field)
            if value is None or attr(entry, field) is None:  # not a field, or invalid
                continue
            items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    continue
                found = (model.match(item) if field in PARAM_FIELDS
                         else model.match_modules(item))
                if found:
                    continue
                pool = model.names if field in PARAM_FIELDS else sorted(model.modules)
                close = difflib.get_close_matches(item.removeprefix("re:"), pool, n=1, cutoff=0.6)
                span = entry.value_span(field, i) if not isinstance(value, str) \
                    else entry.value_span(field)
                where = (field, i) if not isinstance(value, str) else (field,)
                fix = ctx.rename_value(entry, where, item, close[0], what="name") \
                    if close and not item.startswith("re:") else None
                what = "parameter" if field in PARAM_FIELDS else "module"
                yield ctx.diagnostic(
                    span,
                    f"`{item}` in `{field}` of `!{entry.type}` matches no {what} of "
                    f"`{model.source}` ({len(pool)} {what}s)",
                    help=f"did you mean `{close[0]}`?" if close else
                    f"names look like `{pool[0]}`" if pool else None, fix=fix)


RULE = Rule(code="RS801", name="param-pattern-matches-nothing", severity=Severity.ERROR,
            doc=__doc__, check=check, needs_model=True, fix="sometimes")
