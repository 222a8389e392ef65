"""QAT starts while pruning is still ramping.

## What it does
Flags a `!QuantizationModifier` whose `start_epoch` falls inside the window of a gradual
pruner (after its start, before its end).

## Why is this bad?
QAT fuses modules and fixes quantization ranges from the current weights while the pruner is
still removing them: observers calibrate on a moving target, and masks are applied to fused,
fake-quantized modules. SparseML's own recipes quantize after pruning and recovery.

## SparseML behaviour
Accepted silently.

## Example
```yaml
- !GMPruningModifier {..., start_epoch: 0.0, end_epoch: 30.0}
- !QuantizationModifier {start_epoch: 20.0}
```

## Use instead
Start QAT after pruning ends (and after some recovery epochs), e.g. `start_epoch: 45.0`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, QAT_TYPE, end, first_epoch, start, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    pruners = list(valid_of(ctx, GMP_TYPES))
    for q in valid_of(ctx, QAT_TYPE):
        qs = first_epoch(q)
        for p in pruners:
            s, e = first_epoch(p), end(p)
            if e == -1 or e <= start(p):
                continue
            if s < qs < e:
                yield ctx.diagnostic(
                    q.value_span("start_epoch"),
                    f"QAT starts at epoch {numbers.epoch(qs)} while `!{p.type}` (line {p.line}) is "
                    f"still pruning until epoch {numbers.epoch(e)}",
                    help=f"start QAT at or after epoch {numbers.epoch(e)} (ideally after some "
                         "recovery epochs)",
                    related=[Related(p.value_span("end_epoch"), "pruning ends here")])
                break


RULE = Rule(code="RS602", name="qat-during-pruning", severity=Severity.WARNING, doc=__doc__,
            check=check)
