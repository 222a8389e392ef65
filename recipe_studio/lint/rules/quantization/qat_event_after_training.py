"""QAT's BN-freeze or observer-disable epoch never comes.

## What it does
Flags `freeze_bn_stats_epoch` or `disable_quantization_observer_epoch` at or after the end of
training (the EpochRange end, or SparseML's `max_epochs`).

## Why is this bad?
These events happen on the first step at or after the given epoch. SparseML does not count
them in `max_epochs`, so when they are at or after the end of training they never happen:
batch-norm statistics keep moving and observers keep recalibrating until the export, which
hurts the quantized accuracy.

## SparseML behaviour
Accepted; measured: freeze 12 and observers 15 with EpochRange 0–10 → `max_epochs = 10`,
both events silently never happen.

## Example
```yaml
- !EpochRangeModifier {start_epoch: 0, end_epoch: 10}
- !QuantizationModifier {start_epoch: 5.0, freeze_bn_stats_epoch: 12.0}
```

## Use instead
Epochs inside the QAT phase, a few epochs after it starts and before training ends
(`freeze_bn_stats_epoch: 8.0`).
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import QAT_TYPE, attr, valid_of

FIELDS = ("freeze_bn_stats_epoch", "disable_quantization_observer_epoch")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    tl = ctx.timeline
    train_end = tl.training_end
    if train_end <= 0:
        return
    for q in valid_of(ctx, QAT_TYPE):
        for name in FIELDS:
            value = attr(q, name)
            if value is None or value < 0:
                continue
            if float(value) >= train_end:
                what = "batch-norm statistics are never frozen" if name.startswith("freeze") \
                    else "observers are never disabled"
                yield ctx.diagnostic(
                    q.value_span(name),
                    f"`{name}` {numbers.epoch(float(value))} is at or after the end of training "
                    f"(epoch {numbers.epoch(train_end)}): {what}",
                    help=f"use an epoch between the QAT start and {numbers.epoch(train_end)}")


RULE = Rule(code="RS603", name="qat-event-after-training", severity=Severity.WARNING,
            doc=__doc__, check=check)
