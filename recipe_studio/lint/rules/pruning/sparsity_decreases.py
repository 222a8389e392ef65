"""`init_sparsity` larger than `final_sparsity`: the ramp runs downwards.

## What it does
Flags a GMP-family pruner whose `init_sparsity` is greater than its `final_sparsity`.

## Why is this bad?
The interpolation runs from `init_sparsity` to `final_sparsity` whatever their order: the
target *decreases*, pruned weights are released, and the model ends less sparse than it
started. This is almost always swapped values.

## SparseML behaviour
Accepted; measured: target 0.9 → 0.669 → 0.55 → 0.506 → 0.5.

## Example
```yaml
- !GMPruningModifier
  init_sparsity: 0.9
  final_sparsity: 0.5
  ...
```

## Use instead
`init_sparsity: 0.5`, `final_sparsity: 0.9` (or equal values to hold a sparsity).

## Fix safety
Unsafe: swaps the two values, which changes the schedule.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, attr, is_float, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in valid_of(ctx, GMP_TYPES):
        a, b = attr(entry, "init_sparsity"), attr(entry, "final_sparsity")
        if not (is_float(a) and is_float(b)) or a <= b:
            continue
        fix = None
        sa, sb = entry.site("init_sparsity"), entry.site("final_sparsity")
        src = ctx.recipe.source
        if sa and sb and sa.node and sb.node and not sa.alias and not sb.alias and src:
            ta = src.yaml_text[sa.node.start:sa.node.end]
            tb = src.yaml_text[sb.node.start:sb.node.end]
            fix = Fix("swap init_sparsity and final_sparsity",
                      (Edit(src.start + sa.node.start, src.start + sa.node.end, tb),
                       Edit(src.start + sb.node.start, src.start + sb.node.end, ta)), False)
        yield ctx.diagnostic(
            entry.value_span("init_sparsity"),
            f"`init_sparsity` {a!r} is larger than `final_sparsity` {b!r}: sparsity ramps "
            "down and pruned weights are released",
            help="swap the values (the ramp goes from init to final)", fix=fix)


RULE = Rule(code="RS504", name="sparsity-decreases", severity=Severity.ERROR, doc=__doc__,
            check=check, fix="sometimes")
