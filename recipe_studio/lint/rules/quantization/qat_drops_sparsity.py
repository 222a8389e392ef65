"""Quantization-aware training drops the sparsity.

## What it does
Flags a recipe where a pruner removes its masks (`leave_enabled: false`) before or during the
QAT phase and nothing (a `!ConstantPruningModifier`) holds the sparsity through QAT.

## Why is this bad?
QAT fine-tunes every weight; without a mask the pruned weights regrow and the exported model
is quantized but dense — the size and speed you pruned for are lost in the last epochs.

## SparseML behaviour
Accepted silently; nothing connects pruning and quantization modifiers.

## Example
```yaml
- !GMPruningModifier {..., end_epoch: 30.0, leave_enabled: false}
- !QuantizationModifier {start_epoch: 45.0}
```

## Use instead
`leave_enabled: true` on the pruner, or a `!ConstantPruningModifier` covering the QAT phase.

## Fix safety
Unsafe: turning the masks back on changes training after the pruning phase.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, QAT_TYPE, attr, end, first_epoch, valid_of
from recipe_studio.lint.rules.pruning.mask_released_before_end import covered_after


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    qats = list(valid_of(ctx, QAT_TYPE))
    if not qats:
        return
    q = min(qats, key=first_epoch)
    q_start = first_epoch(q)
    for entry in valid_of(ctx, GMP_TYPES):
        if attr(entry, "leave_enabled", True):
            continue
        e = end(entry)
        if e == -1 or covered_after(ctx, entry, e):
            continue
        if e <= ctx.timeline.training_end:
            yield ctx.diagnostic(
                entry.value_span("leave_enabled"),
                f"the masks of `!{entry.type}` are removed at epoch {numbers.epoch(e)} and QAT "
                f"starts at epoch {numbers.epoch(q_start)} with nothing holding the sparsity: the "
                "quantized model comes out dense",
                help="set `leave_enabled: true`, or add a `!ConstantPruningModifier` on the same "
                     "params covering the QAT phase",
                related=[Related(q.tag_span, "QAT starts here")],
                fix=ctx.replace_value(entry, ("leave_enabled",), "true",
                                      "set leave_enabled: true", safe=False))


RULE = Rule(code="RS601", name="qat-drops-sparsity", severity=Severity.ERROR, doc=__doc__,
            check=check, fix="sometimes")
