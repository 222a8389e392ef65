"""Gradual pruning with `start_epoch == end_epoch` crashes at the start step.

## What it does
Flags a GMP-family pruner whose `start_epoch` equals its `end_epoch` (not -1).

## Why is this bad?
The schedule divides by `end_epoch - start_epoch`; with an empty window SparseML raises
`ZeroDivisionError: float division by zero` at the first update, hours into a run if the
window is late.

## SparseML behaviour
Passes validation (`end >= start`); crashes at train time (measured at epoch 1.0 for S=E=1).

## Example
```yaml
- !GMPruningModifier
  ...
  start_epoch: 1.0
  end_epoch: 1.0
```

## Use instead
A window of at least one update (`end_epoch: 2.0`), or `!ConstantPruningModifier`/a one-shot
`manager.apply()` for an instant sparsity change.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, end, start, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in valid_of(ctx, GMP_TYPES):
        s, e = start(entry), end(entry)
        if s == e and e != -1:
            yield ctx.diagnostic(
                entry.value_span("end_epoch"),
                f"`start_epoch` and `end_epoch` are both {numbers.epoch(e)}: SparseML divides by "
                "`end_epoch - start_epoch` and crashes with ZeroDivisionError at that epoch",
                help="give the pruning ramp a window (end after start)")


RULE = Rule(code="RS507", name="pruning-window-empty", severity=Severity.ERROR, doc=__doc__,
            check=check)
