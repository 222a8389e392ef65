"""Sparsity released before training ends.

## What it does
Flags a pruner that lets go of its masks while training continues: a GMP-family pruner with
`leave_enabled: false`, or a `!ConstantPruningModifier` with an `end_epoch` before the end of
training — unless another pruner keeps the same parameters masked afterwards.

## Why is this bad?
Once the mask is removed, the optimizer updates the pruned weights again; with momentum they
regrow within a step and the sparsity you trained for is gone.

## SparseML behaviour
Accepted (`leave_enabled: false` bypasses a base-class check). Measured: sparsity 0.80 →
0.31 after one momentum-SGD step; ConstantPruning ending at epoch 2 after GMP: 0.50 → 0.20.

## Example
```yaml
- !GMPruningModifier
  ...
  end_epoch: 20.0
  leave_enabled: false
```

## Use instead
`leave_enabled: true` (the default), or a `!ConstantPruningModifier` from the end of pruning
with `end_epoch: -1`.

## Fix safety
Unsafe: `leave_enabled: true` keeps the masks, which changes training after `end_epoch`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import (
    GMP_TYPES, MASK_PRUNERS, attr, end, first_epoch, param_selection, selections_overlap,
    valid_of,
)


def covered_after(ctx: RuleContext, entry, at: float) -> bool:
    """Another pruner keeps masks on these params from `at` to the end of training."""
    train_end = ctx.timeline.training_end
    mine = param_selection(entry)
    for other in valid_of(ctx, MASK_PRUNERS):
        if other is entry:
            continue
        e = end(other)
        if other.type != "ConstantPruningModifier" and not attr(other, "leave_enabled", True):
            continue
        lasts = e == -1 or e >= train_end or (other.type != "ConstantPruningModifier")
        if first_epoch(other) <= at + 1e-9 and lasts and \
                selections_overlap(mine, param_selection(other)):
            return True
    return False


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    train_end = ctx.timeline.training_end
    for entry in valid_of(ctx, GMP_TYPES):
        if attr(entry, "leave_enabled", True):
            continue
        e = end(entry)
        if e == -1 or e >= train_end or covered_after(ctx, entry, e):
            continue
        yield ctx.diagnostic(
            entry.value_span("leave_enabled"),
            f"`leave_enabled: false` removes the masks at epoch {numbers.epoch(e)}; pruned weights "
            f"regrow during the remaining {numbers.epoch(train_end - e)} epochs of training",
            help="keep `leave_enabled: true`, or hold the sparsity with a "
                 "`!ConstantPruningModifier` until the end",
            fix=ctx.replace_value(entry, ("leave_enabled",), "true", "set leave_enabled: true",
                                  safe=False))
    for entry in valid_of(ctx, "ConstantPruningModifier"):
        e = end(entry)
        if e == -1 or e >= train_end or covered_after(ctx, entry, e):
            continue
        yield ctx.diagnostic(
            entry.value_span("end_epoch"),
            f"`!ConstantPruningModifier` stops holding the masks at epoch {numbers.epoch(e)}, "
            f"before training ends at {numbers.epoch(train_end)}: the weights regrow",
            help="use `end_epoch: -1` to hold the sparsity until the end",
            fix=ctx.replace_value(entry, ("end_epoch",), "-1", "hold the masks until the end",
                                  safe=False))


RULE = Rule(code="RS509", name="mask-released-before-end", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="sometimes")
