"""Two pruners on the same parameters at overlapping times.

## What it does
Flags two mask-based pruning modifiers whose `params` can select the same parameter
(identical names, a token such as `__ALL_PRUNABLE__`, or a `re:` pattern matching the other's
name) and whose active windows overlap.

## Why is this bad?
Each pruner keeps its own mask and re-applies it every step; two masks on one tensor fight:
the sparsity is whichever was applied last, and a ConstantPruningModifier freezes whatever
the other pruner had reached when it started. With `--model`, `param-in-two-pruners` checks
the real parameter names.

## SparseML behaviour
Accepted; nothing arbitrates between modifiers that touch the same tensor.

## Example
```yaml
- !GMPruningModifier {params: __ALL_PRUNABLE__, start_epoch: 0, end_epoch: 10, ...}
- !GMPruningModifier {params: ['re:.*conv.*'], start_epoch: 5, end_epoch: 15, ...}
```

## Use instead
Give each pruner disjoint `params`, or run them one after the other.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import MASK_PRUNERS, param_selection, selections_overlap, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if ctx.model is not None:
        return  # param-in-two-pruners checks the real parameter names
    tl = ctx.timeline
    pruners = list(valid_of(ctx, MASK_PRUNERS))
    selections: dict[int, tuple[str, ...]] = {}

    def selection(entry) -> tuple[str, ...]:  # computed (or raising) where first needed
        if id(entry) not in selections:
            selections[id(entry)] = param_selection(entry)
        return selections[id(entry)]

    for i, a in enumerate(pruners):
        for b in pruners[i + 1:]:
            ia, ib = tl.get(a.index), tl.get(b.index)
            if ia is None or ib is None or not ia.overlaps(ib, tl.training_end):
                continue
            if (a.stage or "") != (b.stage or ""):
                continue
            pa, pb = selection(a), selection(b)
            if not selections_overlap(pa, pb):
                continue
            yield ctx.diagnostic(
                b.tag_span,
                f"`!{b.type}` prunes parameters `!{a.type}` (line {a.line}) also prunes, at "
                "overlapping times; two masks on one tensor fight each other",
                help="give the pruners disjoint `params` or non-overlapping epochs",
                related=[Related(a.value_span("params") if a.site("params") else a.tag_span,
                                 "the other pruner's parameters")])


RULE = Rule(code="RS506", name="overlapping-pruners", severity=Severity.WARNING, doc=__doc__,
            check=check)
