"""How much of the model the recipe prunes (`--model`): a summary.

## What it does
With `--model FILE`, reports one note: how many of the model's prunable weight tensors (and
parameters) the recipe's pruners select, and the resulting expected overall sparsity.

## Why is this bad?
It is not bad; it is the number to check before a long run. A recipe copied from another
architecture often prunes a fraction of the model it is now applied to, and the size and
speed-up fall short without any error.

## SparseML behaviour
Prunes what matches; reports nothing about what does not.

## Example
```yaml
- !GMPruningModifier {params: ['re:layer4.*weight'], final_sparsity: 0.9, ...}
```
prunes only the last stage of a ResNet.

## Use instead
Check the coverage note; use `__ALL_PRUNABLE__` or patterns covering the layers you mean.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import MASK_PRUNERS, attr, param_selection, valid_of


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    model = ctx.model
    if model is None:
        return
    pruners = list(valid_of(ctx, MASK_PRUNERS))
    if not pruners:
        return
    prunable = [n for n in model.names if model.prunable(n)]
    if not prunable:
        return
    target: dict[str, float] = {}
    for p in pruners:
        final = attr(p, "final_sparsity", attr(p, "compression_sparsity",
                                                attr(p, "forward_sparsity")))
        for item in param_selection(p):
            for n in model.match(item):
                if isinstance(final, dict):
                    for s, names in final.items():
                        if n in model.match(str(names[0]) if isinstance(names, list) else str(names)):
                            target[n] = float(s)
                elif isinstance(final, (int, float)):
                    target[n] = max(target.get(n, 0.0), float(final))
                else:
                    target.setdefault(n, 0.0)
    covered = [n for n in prunable if n in target]
    sizes = {n: model.numel(n) for n in prunable}
    total = sum(v for v in sizes.values() if v)
    pruned_params = sum(sizes[n] or 0 for n in covered)
    zeros = sum((sizes[n] or 0) * target[n] for n in covered)
    at = pruners[0].tag_span
    if total:
        detail = (f"; {pruned_params:,} of {total:,} prunable parameters "
                  f"({pruned_params / total:.0%}), expected overall sparsity of the prunable "
                  f"weights {zeros / total:.1%}")
    else:
        detail = ""
    yield ctx.diagnostic(
        at,
        f"pruning covers {len(covered)} of {len(prunable)} prunable weight tensors of "
        f"`{model.source}`{detail}",
        help=None if len(covered) == len(prunable) else
        "uncovered: " + ", ".join(f"`{n}`" for n in [x for x in prunable if x not in target][:5]))


RULE = Rule(code="RS804", name="pruning-coverage", severity=Severity.INFO, doc=__doc__,
            check=check, needs_model=True)
