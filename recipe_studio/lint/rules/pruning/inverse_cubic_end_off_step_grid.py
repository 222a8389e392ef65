"""`inverse_cubic` pruning ending between two steps crashes (needs `--steps-per-epoch`).

## What it does
Flags a GMP-family pruner with `inter_func: inverse_cubic` whose `end_epoch` is not a whole
number of steps.

## Why is this bad?
The end update happens on the first step after `end_epoch`, where the schedule position is
past 1; `(1 - x) ** (1/3)` of a negative float is a complex number and the comparison that
follows raises `TypeError: '<=' not supported between instances of 'complex' and 'float'`
at the end of pruning. One-shot `apply()` with `inverse_cubic` silently applies
`init_sparsity` instead of `final_sparsity`.

## SparseML behaviour
Crashes at train time (84 of 1008 measured configurations).

## Example
```yaml
# with --steps-per-epoch 2
- !GMPruningModifier
  ...
  end_epoch: 2.7
  inter_func: inverse_cubic
```

## Use instead
An `end_epoch` on the step grid (`3.0`), or `inter_func: cubic`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, attr, end, start, steps_grid, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    spe = ctx.steps_per_epoch
    if not spe:
        return
    for entry in valid_of(ctx, GMP_TYPES):
        if attr(entry, "inter_func") != "inverse_cubic":
            continue
        e = end(entry)
        if e == -1 or e <= start(entry) or steps_grid(e, spe):
            continue
        yield ctx.diagnostic(
            entry.value_span("end_epoch"),
            f"`end_epoch` {numbers.epoch(e)} falls between steps ({spe} per epoch): with "
            "`inverse_cubic` SparseML crashes at the end update (complex number comparison)",
            help=f"end on a step boundary (a multiple of {numbers.epoch(1 / spe)}) or use `cubic`")


RULE = Rule(code="RS508", name="inverse-cubic-end-off-step-grid", severity=Severity.ERROR,
            doc=__doc__, check=check, needs_steps=True)
