"""MultiStepLR milestones outside the modifier's range.

## What it does
Flags `!LearningRateModifier` with `lr_class: MultiStepLR` whose `milestones` are not
strictly after `start_epoch` and before `end_epoch` (when it has one).

## Why is this bad?
A milestone outside the range makes SparseML raise `ValueError: milestones [...] all must be
greater than start_epoch` when it builds the torch scheduler — at the start step, possibly
hours into training.

## SparseML behaviour
Checked only at train time (measured: milestones [1, 3] with start 2 → ValueError at epoch
2.0).

## Example
```yaml
- !LearningRateModifier
  lr_class: MultiStepLR
  lr_kwargs: {gamma: 0.1, milestones: [1, 3]}
  init_lr: 0.1
  start_epoch: 2.0
```

## Use instead
Milestones strictly between `start_epoch` and `end_epoch`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import attr, end, start, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in valid_of(ctx, "LearningRateModifier"):
        if attr(entry, "lr_class") != "MultiStepLR":
            continue
        kwargs = attr(entry, "lr_kwargs") or {}
        milestones = kwargs.get("milestones") if isinstance(kwargs, dict) else None
        if not isinstance(milestones, list):
            continue
        s, e = start(entry), end(entry)
        span = entry.value_span("lr_kwargs", "milestones")
        nums = [m for m in milestones if isinstance(m, (int, float)) and not isinstance(m, bool)]
        before = [m for m in nums if m <= s]
        after = [m for m in nums if e >= 0 and m >= e]
        if before or after:
            bad = before + after
            yield ctx.diagnostic(
                span,
                f"milestone{'s' if len(bad) > 1 else ''} {', '.join(numbers.epoch(m) for m in bad)} "
                f"outside ({numbers.epoch(s)}, {numbers.epoch(e) if e >= 0 else 'end'}): SparseML raises "
                "ValueError when it builds the scheduler at the start of the modifier",
                help="milestones are absolute epochs strictly inside the modifier's range")


RULE = Rule(code="RS704", name="lr-milestones-outside-range", severity=Severity.ERROR,
            doc=__doc__, check=check, fix="never")
