"""A pruner selects parameters that should not be pruned (`--model`).

## What it does
With `--model FILE`, flags pruner `params` entries that select one-dimensional tensors:
biases and normalisation (BatchNorm/LayerNorm) parameters.

## Why is this bad?
Those tensors are tiny and every element matters; zeroing them hurts accuracy and saves no
space or time. SparseML's `__ALL_PRUNABLE__` deliberately selects only the weights of
Linear, Conv and Embedding layers — a hand-written `re:.*` includes everything.

## SparseML behaviour
Prunes whatever the pattern selects.

## Example
```yaml
- !GMPruningModifier
  params: ['re:.*']
```

## Use instead
`params: __ALL_PRUNABLE__`, or patterns ending in `weight` such as `re:.*conv.*weight`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import MASK_PRUNERS, attr, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    model = ctx.model
    if model is None:
        return
    for entry in valid_of(ctx, MASK_PRUNERS):
        value = entry.args.get("params")
        if attr(entry, "params") is None:  # a partial view's params did not validate
            continue
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        for i, item in enumerate(items):
            if not isinstance(item, str) or item.upper() == "__ALL_PRUNABLE__":
                continue
            bad = [n for n in model.match(item) if model.one_dimensional(n)]
            if not bad:
                continue
            span = entry.value_span("params", i) if not isinstance(value, str) \
                else entry.value_span("params")
            shown = ", ".join(f"`{n}`" for n in bad[:3]) + (" ..." if len(bad) > 3 else "")
            yield ctx.diagnostic(
                span,
                f"`{item}` selects {len(bad)} one-dimensional tensor"
                f"{'s' if len(bad) > 1 else ''} (biases/norms) that should not be pruned: "
                f"{shown}",
                help="select weights only (`__ALL_PRUNABLE__` or patterns ending in `weight`)")


RULE = Rule(code="RS802", name="unprunable-param", severity=Severity.WARNING, doc=__doc__,
            check=check, needs_model=True)
