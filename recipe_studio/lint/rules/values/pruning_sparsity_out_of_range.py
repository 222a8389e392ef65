"""A one-shot pruner's `sparsity` outside [0, 1).

## What it does
Flags `sparsity` (a number, or any number of a per-layer list) of a `SparseGPTModifier` or
`WandaPruningModifier` that is negative or 1 and above.

## Why is this bad?
Neither library checks the value when it loads the recipe. SparseGPT then indexes the
sorted scores at `int(numel × sparsity)`: 1 and above is past the end (`IndexError`), a
negative value counts from the end and prunes almost everything. Wanda takes the first
`int(columns × sparsity)` indices: 1 prunes every weight of every targeted layer, a
negative value prunes nearly all but a few. Either way the failure or the destroyed model
appears only after calibration.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** `sparsity: float | list[float]` with
no validator (llmcompressor/modifiers/pruning/sparsegpt/sgpt_base.py; SparseML 1.8
sparseml/modifiers/obcq/base.py); used in `sgpt_sparsify.sparsify_weight` /
`SparseGptWrapper.compress` (`torch.sort(...)[0][int(tmp.numel() * sparsity)]`) and
`wanda_sparsify.sparsify_weight`.

## Example
```yaml
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 50
```

## Use instead
A fraction: `sparsity: 0.5`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import (
    ONESHOT_PRUNERS, field, fmt, given, is_number, modifiers,
)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx, ONESHOT_PRUNERS):
        if not given(m, "sparsity"):
            continue
        v = field(m, "sparsity")
        items = [((), v)] if is_number(v) else \
            [((i,), x) for i, x in enumerate(v or []) if is_number(x)] \
            if isinstance(v, (list, tuple)) else []
        for sub, x in items:
            if 0 <= x < 1:
                continue
            effect = ("SparseGPT fails with `IndexError`" if m.type == "SparseGPTModifier"
                      else "Wanda prunes every weight") if x >= 1 else \
                "the index counts from the end: nearly every weight is pruned"
            where = " (layer " + str(sub[0]) + ")" if sub else ""
            yield ctx.diagnostic(
                m.value_span("sparsity", *sub),
                f"`sparsity` {fmt(x)}{where} on `{m.type}` is outside [0, 1): {effect}",
                help="give the fraction of weights to prune, e.g. `0.5`")


RULE = Rule(code="RS232", name="pruning-sparsity-out-of-range", severity=Severity.ERROR,
            doc=__doc__, check=check)
