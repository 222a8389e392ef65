"""A second pruner that recomputes the mask of an earlier one.

## What it does
Flags a `SparseGPTModifier` without `preserve_sparsity_mask: true`, or a
`WandaPruningModifier`, that runs after another pruner of the same recipe.

## Why is this bad?
One-shot pruners choose their mask from scratch by default: weights the first pruner
removed compete again and may come back (SparseGPT's update even writes new values into
them), while other weights are pruned instead. Going from 50 % to 70 %, or from
unstructured to 2:4, therefore does not extend the first mask; it replaces it, and the
recovery or fine-tuning done in between is partly lost. SparseGPT's
`preserve_sparsity_mask: true` keeps the existing zeros and extends them; Wanda has no such
option.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** `sgpt_sparsify.sparsify_weight`
(llmcompressor/modifiers/pruning/sparsegpt/) and `SparseGptWrapper.compress`
(sparseml/modifiers/obcq/utils/sgpt_wrapper.py) compute the existing mask only when
`preserve_sparsity_mask` is set (neuralmagic/sparseml pull requests #2222 and #2282, which
introduced it for "one-shot from 50 -> 70 % sparsity, going from unstructured to structured").

## Example
```yaml
first_stage:
  first_modifiers:
    SparseGPTModifier: {sparsity: 0.5}
second_stage:
  second_modifiers:
    SparseGPTModifier: {sparsity: 0.7}
```

## Use instead
```yaml
second_stage:
  second_modifiers:
    SparseGPTModifier: {sparsity: 0.7, preserve_sparsity_mask: true}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import PRUNERS, field, modifiers, prunes


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    first = None
    for m in modifiers(ctx, PRUNERS):
        if not prunes(m):
            continue
        if first is None:
            first = m
            continue
        if m.type == "SparseGPTModifier" and field(m, "preserve_sparsity_mask") is True:
            continue
        if m.type not in ("SparseGPTModifier", "WandaPruningModifier"):
            continue
        how = ("set `preserve_sparsity_mask: true` to extend it"
               if m.type == "SparseGPTModifier" else
               "Wanda cannot keep it; use `SparseGPTModifier` with `preserve_sparsity_mask: true`")
        yield ctx.diagnostic(
            m.key_span,
            f"`{m.type}` in stage `{m.stage}` recomputes the mask of the earlier "
            f"`{first.type}` (stage `{first.stage}`): pruned weights can come back",
            help=how, related=[Related(first.key_span, "the earlier pruner", ctx.path)])


RULE = Rule(code="RS522", name="prior-mask-discarded", severity=Severity.WARNING,
            doc=__doc__, check=check)
