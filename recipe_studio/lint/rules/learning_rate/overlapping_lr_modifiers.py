"""Learning-rate modifiers overlapping in time.

## What it does
Flags two learning-rate modifiers (`!LearningRateFunctionModifier`, `!LearningRateModifier`,
and a `!SetLearningRateModifier` firing inside another's range) that act on the same
parameter groups at the same time.

## Why is this bad?
Nothing arbitrates between them: within a step SparseML updates modifiers in its own sorted
order (end epoch, start epoch, then an MD5 of the fields), and the last one to write wins.
A SetLearningRate inside a function's range lasts a single step.

## SparseML behaviour
Accepted; measured: SetLR 0.5 at epoch 1 inside a linear function 0→3 gives 0.085 → **0.5
for one step** → 0.055.

## Example
```yaml
- !LearningRateFunctionModifier {start_epoch: 0, end_epoch: 30, lr_func: cosine, init_lr: 0.05, final_lr: 0.001}
- !SetLearningRateModifier {start_epoch: 10, learning_rate: 0.01}
```

## Use instead
Chain the modifiers: each one starts where the previous one ends.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.read.recipe import ModifierEntry
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import LR_TYPES, attr, end, first_epoch, valid_of

RANGED = {"LearningRateFunctionModifier", "LearningRateModifier"}


def groups(entry: ModifierEntry) -> set[int] | None:
    """Param groups a modifier writes (None = all). LearningRateModifier writes all."""
    if entry.type == "LearningRateModifier":
        return None
    g = attr(entry, "param_groups")
    if not g or not isinstance(g, (list, tuple)):  # unchecked at load: anything may be here
        return None
    return {int(x) for x in g if isinstance(x, int)}


def share_groups(a: ModifierEntry, b: ModifierEntry) -> bool:
    ga, gb = groups(a), groups(b)
    return ga is None or gb is None or bool(ga & gb)


def window(entry: ModifierEntry, train_end: float) -> tuple[float, float]:
    e = end(entry)
    return first_epoch(entry), (train_end if e == -1 else e)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    train_end = ctx.timeline.training_end
    lrs = list(valid_of(ctx, LR_TYPES))
    for i, a in enumerate(lrs):
        for b in lrs[i + 1:]:
            if (a.stage or "") != (b.stage or "") or not share_groups(a, b):
                continue
            if a.type in RANGED and b.type in RANGED:
                a0, a1 = window(a, train_end)
                b0, b1 = window(b, train_end)
                if max(a0, b0) < min(a1, b1):
                    yield ctx.diagnostic(
                        b.tag_span,
                        f"`!{b.type}` ({numbers.epoch(b0)}–{numbers.epoch(b1)}) overlaps `!{a.type}` "
                        f"(line {a.line}, {numbers.epoch(a0)}–{numbers.epoch(a1)}): both write the "
                        "learning rate every step and the winner depends on SparseML's sort order",
                        help="make one start where the other ends",
                        related=[Related(a.tag_span, "the other learning-rate modifier")])
            else:
                ranged, single = (a, b) if a.type in RANGED else (b, a)
                if ranged.type not in RANGED or single.type != "SetLearningRateModifier":
                    continue
                r0, r1 = window(ranged, train_end)
                at = first_epoch(single)
                if r0 < at < r1 or (ranged.type == "LearningRateFunctionModifier" and at == r0):
                    yield ctx.diagnostic(
                        single.value_span("start_epoch"),
                        f"`!SetLearningRateModifier` at epoch {numbers.epoch(at)} falls inside "
                        f"`!{ranged.type}` (line {ranged.line}, {numbers.epoch(r0)}–{numbers.epoch(r1)}): "
                        "its value lasts at most one step before the other overwrites it",
                        help="set the learning rate outside the other modifier's range",
                        related=[Related(ranged.tag_span, "the overlapping modifier")])


RULE = Rule(code="RS701", name="overlapping-lr-modifiers", severity=Severity.WARNING,
            doc=__doc__, check=check)
