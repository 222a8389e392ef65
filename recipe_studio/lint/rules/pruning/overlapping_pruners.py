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
from recipe_studio.lint.rules._facts import (MASK_PRUNERS, param_selection, selection_parts,
                                             selections_overlap, valid_of)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if ctx.model is not None:
        return  # param-in-two-pruners checks the real parameter names
    tl = ctx.timeline
    end = tl.training_end
    # each pruner's window [first, last) and stage, once: the pair loop below is O(n^2) and
    # runs over recipes with hundreds of pruners. A pruner without an interval, or one that
    # never starts, overlaps nothing (Interval.overlaps), so it takes part in no pair.
    windows = []
    for entry in valid_of(ctx, MASK_PRUNERS):
        iv = tl.get(entry.index)
        if iv is None or iv.never_starts:
            continue
        windows.append((entry, iv.first_epoch, iv.last_epoch(end), entry.stage or ""))
    # each pruner's params, taken apart (selection_parts) where first needed: reading them
    # may raise UnknownFieldValue (a partial view), which must happen at the same pair
    parts: list[tuple[tuple[str, ...], bool, frozenset[str], bool] | None] = \
        [None] * len(windows)

    def selection(i: int) -> tuple[tuple[str, ...], bool, frozenset[str], bool]:
        got = parts[i]
        if got is None:
            sel = param_selection(windows[i][0])
            token, literals, patterns = selection_parts(sel)
            got = parts[i] = (sel, token, literals, bool(patterns))
        return got

    for i, (a, a0, a1, stage) in enumerate(windows):
        for j in range(i + 1, len(windows)):
            b, b0, b1, stage_b = windows[j]
            # Interval.overlaps, inlined (max/min of two, as the builtins pick them): the
            # half-open windows meet, or both start at once and one of them is empty
            lo = b0 if b0 > a0 else a0
            hi = b1 if b1 < a1 else a1
            if not (lo < hi or (a0 == b0 and (a0 == a1 or b0 == b1))):
                continue
            if stage != stage_b:
                continue
            pa, token_a, lits_a, pats_a = parts[i] or selection(i)
            pb, token_b, lits_b, pats_b = parts[j] or selection(j)
            # selections_overlap's answer without its patterns: a token, or a common name
            if not (token_a or token_b or not lits_a.isdisjoint(lits_b)):
                if not (pats_a or pats_b) or not selections_overlap(pa, pb):
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
