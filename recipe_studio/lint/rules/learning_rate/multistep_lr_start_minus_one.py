"""MultiStepLR with `start_epoch: -1` fires every milestone one epoch late.

## What it does
Flags `!LearningRateModifier` with `lr_class: MultiStepLR` and `start_epoch: -1`.

## Why is this bad?
SparseML counts scheduler steps from the modifier's start step and converts milestones with
`round((milestone - start_epoch) * steps_per_epoch)`; with the `-1` sentinel that adds a
whole epoch to every milestone.

## SparseML behaviour
Accepted; measured: milestones [1, 2.5] drop the learning rate at epochs 2.0 and 3.5.

## Example
```yaml
- !LearningRateModifier
  lr_class: MultiStepLR
  lr_kwargs: {gamma: 0.1, milestones: [10, 20]}
  init_lr: 0.1
  start_epoch: -1
```

## Use instead
`start_epoch: 0.0`.

## Fix safety
Unsafe: the learning-rate drops move one epoch earlier (to where the recipe says).
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import attr, start, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in valid_of(ctx, "LearningRateModifier"):
        if attr(entry, "lr_class") != "MultiStepLR" or start(entry) != -1:
            continue
        kwargs = attr(entry, "lr_kwargs") or {}
        ms = kwargs.get("milestones") if isinstance(kwargs, dict) else None
        nums = [m for m in ms or [] if isinstance(m, (int, float)) and not isinstance(m, bool)]
        shown = (f" ({', '.join(numbers.epoch(m + 1) for m in nums[:4])} instead of "
                 f"{', '.join(numbers.epoch(m) for m in nums[:4])})") if nums else ""
        yield ctx.diagnostic(
            entry.value_span("start_epoch"),
            f"MultiStepLR with `start_epoch: -1`: every milestone fires one epoch late{shown}",
            help="use `start_epoch: 0.0`",
            fix=ctx.replace_value(entry, ("start_epoch",), "0.0", "start at epoch 0", safe=False))


RULE = Rule(code="RS708", name="multistep-lr-start-minus-one", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="sometimes")
