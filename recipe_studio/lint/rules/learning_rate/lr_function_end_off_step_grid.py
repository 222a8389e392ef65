"""Learning-rate function ending between two steps overshoots (needs `--steps-per-epoch`).

## What it does
Flags a `linear` or `cosine` `!LearningRateFunctionModifier` whose `end_epoch` is not a whole
number of steps.

## Why is this bad?
The last update happens on the first step after `end_epoch`, where the position in the
schedule is past 1: a linear schedule overshoots `final_lr` (possibly below zero), a cosine
swings back up, and that value stays for the rest of training.

## SparseML behaviour
Accepted; measured: init 0.1, final 0.001, end 2.7 with 2 steps/epoch → learning rate
**-0.01** for the rest of training.

## Example
```yaml
# with --steps-per-epoch 2
- !LearningRateFunctionModifier {start_epoch: 0, end_epoch: 2.7, lr_func: linear, init_lr: 0.1, final_lr: 0.001}
```

## Use instead
An `end_epoch` on the step grid (`3.0`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import attr, end, start, steps_grid, valid_of
from recipe_studio.schedule.formulas import lr_function_value


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    spe = ctx.steps_per_epoch
    if not spe:
        return
    for entry in valid_of(ctx, "LearningRateFunctionModifier"):
        func = attr(entry, "lr_func")
        if func not in ("linear", "cosine"):
            continue
        s, e = start(entry), end(entry)
        if e <= max(s, 0) or steps_grid(e, spe):
            continue
        k = math.ceil(e * spe - 1e-12)
        t = float(k // spe) + float(k % spe) / float(spe)
        value = lr_function_value(func, t, s, e, float(attr(entry, "init_lr")),
                                  float(attr(entry, "final_lr")))
        sev = Severity.ERROR if value < 0 else None
        d = ctx.diagnostic(
            entry.value_span("end_epoch"),
            f"`end_epoch` {numbers.epoch(e)} falls between steps ({spe} per epoch): the last "
            f"update at epoch {numbers.epoch(t)} sets the learning rate to {value:.6g} instead of "
            f"`final_lr` {attr(entry, 'final_lr')!r}, and it stays there",
            help=f"end on a step boundary (a multiple of {numbers.epoch(1 / spe)})")
        if sev is not None:
            from dataclasses import replace

            d = replace(d, severity=sev)
        yield d


RULE = Rule(code="RS703", name="lr-function-end-off-step-grid", severity=Severity.WARNING,
            doc=__doc__, check=check, needs_steps=True)
