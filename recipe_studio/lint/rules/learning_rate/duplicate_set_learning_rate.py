"""Two `!SetLearningRateModifier` at the same epoch.

## What it does
Flags two SetLearningRate modifiers with the same `start_epoch` for the same parameter
groups.

## Why is this bad?
Both fire on the same step; the one SparseML sorts last wins, and that order is decided by an
MD5 hash of the modifiers' fields, not by their order in the file. Reordering the file does
not change the winner; changing an unrelated field might.

## SparseML behaviour
Accepted; measured: 0.07 and 0.05 at the same epoch → 0.05 wins in both file orders.

## Example
```yaml
- !SetLearningRateModifier {start_epoch: 5.0, learning_rate: 0.07}
- !SetLearningRateModifier {start_epoch: 5.0, learning_rate: 0.05}
```

## Use instead
Keep one of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import attr, first_epoch, valid_of
from recipe_studio.lint.rules.learning_rate.overlapping_lr_modifiers import share_groups


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    sets = list(valid_of(ctx, "SetLearningRateModifier"))
    for i, a in enumerate(sets):
        for b in sets[i + 1:]:
            if (a.stage or "") != (b.stage or "") or first_epoch(a) != first_epoch(b):
                continue
            if not share_groups(a, b):
                continue
            same = attr(a, "learning_rate") == attr(b, "learning_rate")
            yield ctx.diagnostic(
                b.value_span("start_epoch"),
                f"two `!SetLearningRateModifier` at epoch {numbers.epoch(first_epoch(b))} "
                f"({attr(a, 'learning_rate')!r} on line {a.line}, {attr(b, 'learning_rate')!r} "
                "here)" + ("" if same else ": the winner is decided by a hash of the fields, "
                           "not by file order"),
                help="remove one of them",
                related=[Related(a.tag_span, "the other SetLearningRateModifier")])


RULE = Rule(code="RS702", name="duplicate-set-learning-rate", severity=Severity.WARNING,
            doc=__doc__, check=check)
