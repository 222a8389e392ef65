"""A model parameter covered by two pruners at overlapping times (`--model`).

## What it does
With `--model FILE`, resolves every pruner's `params` to real parameter names and flags
parameters that two pruners with overlapping windows both select.

## Why is this bad?
Each pruner applies its own mask to the tensor every step; the final sparsity is whichever
mask was applied last, not what either modifier says.

## SparseML behaviour
Accepted; nothing arbitrates between masks on the same tensor.

## Example
```yaml
- !GMPruningModifier {params: ['re:.*conv.*weight'], start_epoch: 0, end_epoch: 10, ...}
- !GMPruningModifier {params: [layer1.0.conv1.weight], start_epoch: 0, end_epoch: 10, ...}
```

## Use instead
Disjoint `params` per pruner.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import MASK_PRUNERS, param_selection, valid_of


def selected(ctx: RuleContext, entry) -> set[str]:
    out: set[str] = set()
    for item in param_selection(entry):
        out.update(ctx.model.match(item))
    return out


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if ctx.model is None:
        return
    tl = ctx.timeline
    pruners = list(valid_of(ctx, MASK_PRUNERS))
    sel = {p.index: selected(ctx, p) for p in pruners}
    for i, a in enumerate(pruners):
        for b in pruners[i + 1:]:
            ia, ib = tl.get(a.index), tl.get(b.index)
            if ia is None or ib is None or not ia.overlaps(ib, tl.training_end):
                continue
            common = sorted(sel[a.index] & sel[b.index])
            if not common:
                continue
            shown = ", ".join(f"`{n}`" for n in common[:3]) + (" ..." if len(common) > 3 else "")
            yield ctx.diagnostic(
                b.tag_span,
                f"{len(common)} parameter{'s' if len(common) > 1 else ''} pruned by both this "
                f"`!{b.type}` and `!{a.type}` (line {a.line}) at overlapping times: {shown}",
                help="make the pruners' params disjoint",
                related=[Related(a.tag_span, "the other pruner")])


RULE = Rule(code="RS803", name="param-in-two-pruners", severity=Severity.WARNING, doc=__doc__,
            check=check, needs_model=True)
