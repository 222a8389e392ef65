"""Gradual pruning with `end_epoch: -1` never reaches its final sparsity.

## What it does
Flags a GMP-family pruner (GMPruning, Magnitude, GlobalMagnitude, Movement, Structured,
MFAC, OBS) whose `end_epoch` is `-1`.

## Why is this bad?
The target is interpolated with `(t - start) / (end - start)`; with `end = -1` that ratio is
never positive, so the target stays at `init_sparsity` for the whole run.

## SparseML behaviour
Accepted by validation; measured: sparsity stays at `init_sparsity` (0.05) forever and the
modifier never ends.

## Example
```yaml
- !GMPruningModifier
  params: __ALL_PRUNABLE__
  init_sparsity: 0.05
  final_sparsity: 0.8
  start_epoch: 0.0
  end_epoch: -1
  update_frequency: 1.0
```

## Use instead
Give the ramp an end (`end_epoch: 30.0`); to hold a sparsity pattern for the rest of
training use `!ConstantPruningModifier` with `end_epoch: -1`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, attr, end, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in valid_of(ctx, GMP_TYPES):
        if end(entry) == -1:
            yield ctx.diagnostic(
                entry.value_span("end_epoch"),
                f"`end_epoch: -1` on `!{entry.type}`: the ramp never progresses and the target "
                f"stays at `init_sparsity` {attr(entry, 'init_sparsity')!r} forever",
                help="set the epoch at which `final_sparsity` must be reached")


RULE = Rule(code="RS501", name="pruning-never-ends", severity=Severity.ERROR, doc=__doc__,
            check=check)
