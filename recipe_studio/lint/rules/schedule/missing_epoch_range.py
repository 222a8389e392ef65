"""Missing `!EpochRangeModifier`.

## What it does
Flags a multi-phase training recipe (modifiers of at least two families, such as pruning and
learning rate, over more than one epoch) that has no `!EpochRangeModifier`. Building-block
recipes (a single pruner, a QAT-only or one-shot recipe) are left alone: their training
length legitimately comes from the training script.

## Why is this bad?
Without it the length of training is implicit: integrations train for SparseML's
`max_epochs`, the latest start or end of any modifier. Change one modifier and the whole run
silently gets longer or shorter, and readers cannot see the intended budget.

## SparseML behaviour
Accepted. `max_epochs` is computed from whatever modifiers exist (sparseml-recipes.md §7.3).

## Example
```yaml
modifiers:
  - !SetLearningRateModifier {start_epoch: 0, learning_rate: 0.01}
  - !GMPruningModifier {params: __ALL_PRUNABLE__, init_sparsity: 0.05, final_sparsity: 0.8, start_epoch: 0, end_epoch: 10, update_frequency: 1}
```

## Use instead
```yaml
modifiers:
  - !EpochRangeModifier {start_epoch: 0, end_epoch: 12}
  - ...
```

## Fix safety
A fix adds `!EpochRangeModifier` spanning SparseML's current `max_epochs`, which keeps the
training length unchanged: safe.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    recipe = ctx.recipe
    valid = list(ctx.valid())
    if not valid or ctx.timeline.epoch_ranges or recipe.staged:
        return
    tl = ctx.timeline
    families = {m.view.family for m in valid}
    if tl.max_epochs <= 1 or len(families) < 2:
        return
    first = valid[0]
    fix = None
    src = recipe.source
    if src is not None and tl.max_epochs > 0 and isinstance(first.node.tag, str):
        line = first.tag_span.line
        text = src.line_text(line)
        indent = text[: first.tag_span.column - 1]
        if indent.strip() == "-" or indent.rstrip().endswith("-"):
            pad = " " * (len(indent) - len(indent.lstrip()))
            insert = (f"{pad}- !EpochRangeModifier\n{pad}  start_epoch: 0.0\n"
                      f"{pad}  end_epoch: {float(tl.max_epochs)!r}\n\n")
            off = src.offset(line, 1)
            fix = Fix(f"add an EpochRangeModifier from 0 to {tl.max_epochs}",
                      (Edit(off, off, insert),), True)
    yield ctx.diagnostic(
        first.tag_span,
        f"the recipe has no `!EpochRangeModifier`: training length is implicit "
        f"(SparseML's max_epochs = {tl.max_epochs}, from the latest modifier)",
        help=f"add `!EpochRangeModifier` with `start_epoch: 0` and `end_epoch: {tl.max_epochs}`",
        fix=fix)


RULE = Rule(code="RS402", name="missing-epoch-range", severity=Severity.WARNING, doc=__doc__,
            check=check, fix="sometimes")
