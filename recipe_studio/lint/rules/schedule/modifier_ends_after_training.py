"""Modifier ends after training ends.

## What it does
Flags a modifier whose `end_epoch` (or `start_epoch`) lies after the end of the
`!EpochRangeModifier`, the declared length of training.

## Why is this bad?
A trainer that stops where the EpochRange ends leaves the modifier unfinished: a pruning
ramp short of `final_sparsity`, a learning-rate schedule cut in half, QAT that never starts.
A trainer that uses SparseML's `max_epochs` instead trains longer than the recipe says.

## SparseML behaviour
Accepted silently. `manager.max_epochs` becomes the latest start/end of any modifier, so the
run is quietly lengthened (measured: EpochRange 0–2 with GMP ending at 5 gives
`max_epochs = 5`; stopping at 2 leaves the layer at 0.297 sparsity instead of 0.8).

## Example
```yaml
modifiers:
  - !EpochRangeModifier {start_epoch: 0, end_epoch: 30}
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 40.0
    update_frequency: 1.0
```

## Use instead
End every modifier at or before the EpochRange end (or lengthen the EpochRange).

## Fix safety
Unsafe: moving `end_epoch` earlier steepens the schedule it ends.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import end, start


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    tl = ctx.timeline
    declared = tl.declared_end
    if declared is None:
        return
    ranges = [i for i in tl.epoch_ranges if i.end == declared]
    related = [Related(ranges[0].entry.value_span("end_epoch"), "training ends here")] \
        if ranges else []
    for entry in ctx.valid():
        if entry.type == "EpochRangeModifier":
            continue
        s, e = start(entry), end(entry)
        if e != -1 and e > declared:
            fix = ctx.replace_value(entry, ("end_epoch",), f"{declared!r}",
                                    f"end at epoch {numbers.epoch(declared)}", safe=False) \
                if entry.site("end_epoch") and entry.site("end_epoch").expression is None \
                and s <= declared else None
            yield ctx.diagnostic(
                entry.value_span("end_epoch"),
                f"`!{entry.type}` ends at epoch {numbers.epoch(e)}, after training ends at epoch "
                f"{numbers.epoch(declared)}; SparseML silently extends training to "
                f"{tl.max_epochs} epochs",
                help=f"end it at or before epoch {numbers.epoch(declared)}, or lengthen the "
                     "EpochRangeModifier", related=related, fix=fix)
        elif s > declared:
            yield ctx.diagnostic(
                entry.value_span("start_epoch"),
                f"`!{entry.type}` starts at epoch {numbers.epoch(s)}, after training ends at epoch "
                f"{numbers.epoch(declared)}: a trainer that honours the EpochRange never runs it",
                help=f"start it before epoch {numbers.epoch(declared)}", related=related)


RULE = Rule(code="RS401", name="modifier-ends-after-training", severity=Severity.ERROR,
            doc=__doc__, check=check, fix="sometimes")
