"""Pruning `update_frequency` larger than the pruning window.

## What it does
Flags a GMP-family pruner whose `update_frequency` is longer than `end_epoch - start_epoch`.

## Why is this bad?
SparseML updates at the start, then every `update_frequency` epochs, plus once at the end.
With a frequency longer than the window only the start and end updates happen: sparsity
jumps from `init_sparsity` straight to `final_sparsity` in one step, the damage gradual
pruning exists to avoid.

## SparseML behaviour
Accepted silently; the schedule degenerates to two updates (sparseml-recipes.md §6.1).

## Example
```yaml
- !GMPruningModifier
  params: __ALL_PRUNABLE__
  init_sparsity: 0.05
  final_sparsity: 0.9
  start_epoch: 0.0
  end_epoch: 2.0
  update_frequency: 5.0
```

## Use instead
An update frequency well below the window, e.g. `update_frequency: 0.5` for a 10-epoch ramp.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, attr, end, start, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in valid_of(ctx, GMP_TYPES):
        s, e = start(entry), end(entry)
        f = float(attr(entry, "update_frequency", -1) or 0)
        if e == -1 or e <= s or f <= 0:
            continue
        if f > e - max(s, 0 if s == -1 else s):
            yield ctx.diagnostic(
                entry.value_span("update_frequency"),
                f"`update_frequency` {numbers.epoch(f)} is longer than the pruning window "
                f"{numbers.epoch(max(s, 0))}–{numbers.epoch(e)}: sparsity jumps from "
                f"{attr(entry, 'init_sparsity')!r} to the final value in one update",
                help="use an update frequency well below the window, e.g. "
                     f"{numbers.epoch(max((e - max(s, 0)) / 10, 0.1))}")


RULE = Rule(code="RS502", name="update-frequency-exceeds-window", severity=Severity.WARNING,
            doc=__doc__, check=check)
