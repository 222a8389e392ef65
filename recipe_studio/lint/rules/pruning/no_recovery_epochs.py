"""Pruning ends when training ends: no recovery epochs.

## What it does
Flags a GMP-family pruner that reaches `final_sparsity` at the end of training (the
`!EpochRangeModifier` end), leaving fewer than `min-recovery-epochs` epochs to fine-tune the
pruned network. Pruners that end after training are `modifier-ends-after-training`'s.

## Why is this bad?
Every pruning update removes weights the network was using; it needs epochs at constant
sparsity to recover its accuracy afterwards. SparseML's recipes keep 10–40% of the budget
for recovery.

## SparseML behaviour
Accepted; nothing checks how much training is left after pruning.

## Example
```yaml
- !EpochRangeModifier {start_epoch: 0, end_epoch: 30}
- !GlobalMagnitudePruningModifier
  ...
  start_epoch: 0.0
  end_epoch: 30.0
```

## Use instead
End pruning earlier (`end_epoch: 20.0`) or train longer.

## Options
`min-recovery-epochs` (default 1.0): the least number of epochs between the end of pruning
and the end of training.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, attr, end, start, valid_of


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_recovery_epochs: float = Field(1.0, ge=0)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    tl = ctx.timeline
    if tl.declared_end is None:
        return  # no EpochRange: the training script decides how long training runs
    train_end = tl.declared_end
    need = float(ctx.options.get("min_recovery_epochs", 1.0))
    groups: dict[float, list] = {}
    for entry in valid_of(ctx, GMP_TYPES):
        s, e = start(entry), end(entry)
        if e == -1 or e <= s or e > train_end:  # after training: modifier-ends-after-training
            continue
        final = attr(entry, "final_sparsity")
        init = attr(entry, "init_sparsity")
        if isinstance(init, float) and isinstance(final, float) and init >= final:
            continue  # holding a sparsity (or an OBS/one-shot step), not ramping
        if train_end - e < need:
            groups.setdefault(e, []).append(entry)
    for e, entries in groups.items():
        first = entries[0]
        left = train_end - e
        others = f" (and {len(entries) - 1} more pruners ending there)" if len(entries) > 1 else ""
        yield ctx.diagnostic(
            first.value_span("end_epoch"),
            f"pruning ends at epoch {numbers.epoch(e)} and training at {numbers.epoch(train_end)}: "
            f"{numbers.epoch(left)} epoch{'s' if left != 1 else ''} left to recover from the last "
            f"pruning step{others}",
            help=f"end pruning at least {numbers.epoch(need)} epoch(s) before training ends",
            related=[Related(r.entry.value_span("end_epoch"), "training ends here")
                     for r in tl.epoch_ranges[:1]])


RULE = Rule(code="RS505", name="no-recovery-epochs", severity=Severity.WARNING, doc=__doc__,
            check=check, options=Options)
