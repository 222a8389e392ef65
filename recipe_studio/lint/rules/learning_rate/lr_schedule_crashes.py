"""Learning-rate settings SparseML accepts at load and crashes on during training.

## What it does
Flags learning-rate modifiers that will raise in the middle of training:
`cyclic_linear` with `cycle_epochs <= 0` or one-step cycles (needs `--steps-per-epoch`);
CosineAnnealingWarmRestarts with a non-integer `cycle_epochs`; StepLR/ExponentialLR whose
`step_size * steps_per_epoch` rounds to 0 steps; missing scheduler arguments.

## Why is this bad?
The error (`ZeroDivisionError`, torch's `Expected positive integer T_0`, `integer modulo by
zero`) comes when the modifier starts, possibly hours into the run.

## SparseML behaviour
All checked only at train time (sparseml-recipes.md §6.2–6.3, §8).

## Example
```yaml
- !LearningRateModifier
  lr_class: CosineAnnealingWarmRestarts
  lr_kwargs: {lr_min: 0.0001, cycle_epochs: 2.0}
  init_lr: 0.01
  start_epoch: 0.0
```

## Use instead
`cycle_epochs: 2` (an integer), cycles of at least two steps, `step_size` of at least one step.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import attr, end, start, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    spe = ctx.steps_per_epoch
    for entry in valid_of(ctx, "LearningRateFunctionModifier"):
        if attr(entry, "lr_func") != "cyclic_linear":
            continue
        try:  # unchecked at load: any value may be written
            c = float(attr(entry, "cycle_epochs", 1.0))
        except (TypeError, ValueError, OverflowError):
            continue
        if c != c:  # nan
            continue
        if c <= 0:
            yield ctx.diagnostic(
                entry.value_span("cycle_epochs") if entry.site("cycle_epochs") else entry.tag_span,
                f"`cycle_epochs` {numbers.epoch(c)} must be positive: `cyclic_linear` divides by the "
                "cycle length and crashes with ZeroDivisionError",
                help="use a cycle of at least two steps")
        elif spe:
            s, e = start(entry), end(entry)
            n_steps = (e - s) * spe
            cyc = c * spe
            last = n_steps % cyc if cyc else 0
            if round(cyc) <= 1 or round(last) == 1:
                what = "one-step cycles" if round(cyc) <= 1 else "a one-step last cycle"
                yield ctx.diagnostic(
                    entry.value_span("cycle_epochs") if entry.site("cycle_epochs") else entry.tag_span,
                    f"with {spe} steps per epoch, `cycle_epochs` {numbers.epoch(c)} gives {what}: "
                    "`cyclic_linear` divides by (cycle steps - 1) and crashes with "
                    "ZeroDivisionError",
                    help="make every cycle (including the last, shorter one) at least two steps")
    for entry in valid_of(ctx, "LearningRateModifier"):
        cls = attr(entry, "lr_class")
        kwargs = attr(entry, "lr_kwargs") or {}
        if not isinstance(kwargs, dict):
            continue
        if cls == "CosineAnnealingWarmRestarts":
            c = kwargs.get("cycle_epochs")
            if isinstance(c, float) or isinstance(c, bool) or (isinstance(c, int) and c <= 0):
                yield ctx.diagnostic(
                    entry.value_span("lr_kwargs", "cycle_epochs"),
                    f"`cycle_epochs` {c!r} must be a positive integer for "
                    "CosineAnnealingWarmRestarts: torch raises `Expected positive integer T_0` "
                    "when the modifier starts",
                    help=f"write `cycle_epochs: {max(int(c), 1) if isinstance(c, (int, float)) else 1}`")
        elif cls in ("StepLR", "ExponentialLR") and spe:
            size = kwargs.get("step_size", 1.0 if cls == "ExponentialLR" else None)
            if isinstance(size, (int, float)) and not isinstance(size, bool) and \
                    round(size * spe) == 0:
                yield ctx.diagnostic(
                    entry.value_span("lr_kwargs", "step_size") if cls == "StepLR" else entry.tag_span,
                    f"`step_size` {size!r} epochs is 0 steps with {spe} steps per epoch: "
                    "SparseML crashes with `integer modulo by zero`",
                    help=f"use a step size of at least {numbers.epoch(1 / spe)} epochs")


RULE = Rule(code="RS706", name="lr-schedule-crashes", severity=Severity.ERROR, doc=__doc__,
            check=check)
