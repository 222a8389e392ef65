"""An N:M `mask_structure` with a `sparsity` that is not N/M.

## What it does
Flags a `SparseGPTModifier` or `WandaPruningModifier` whose `mask_structure` is `N:M`
(N > 0) and whose `sparsity` is a number other than N/M (0.5 for `2:4`).

## Why is this bad?
With an N:M structure both algorithms prune exactly the N smallest-scored weights of every
M consecutive columns and never read `sparsity`: `mask_structure: "2:4"` with
`sparsity: 0.7` produces a 50 % sparse model, not the 70 % the recipe announces (and
checkpoints, reports and model cards built from the recipe say 70 %).

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** llm-compressor:
`sgpt_sparsify.sparsify_weight` only uses `sparsity` in the `prune_n == 0` branch, and
`wanda_sparsify.sparsify_weight` likewise (llmcompressor/modifiers/pruning/{sparsegpt,wanda}/);
`SparsityModifierBase._split_mask_structure` turns `"N:M"` into `prune_n, prune_m`. SparseML
1.8: `SparseGptWrapper.compress` (sparseml/modifiers/obcq/utils/sgpt_wrapper.py), same code.

## Example
```yaml
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.7
      mask_structure: "2:4"
```

## Use instead
```yaml
      sparsity: 0.5
      mask_structure: "2:4"
```

## Fix safety
Safe: the written sparsity is never used with an N:M structure; the fix writes the
sparsity the structure produces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import (
    ONESHOT_PRUNERS, field, fmt, is_number, modifiers, replace_arg,
)

_NM = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx, ONESHOT_PRUNERS):
        mm = _NM.match(str(field(m, "mask_structure", "")))
        if not mm:
            continue
        n, mm_ = int(mm.group(1)), int(mm.group(2))
        if n == 0 or mm_ == 0 or n > mm_:
            continue
        v = field(m, "sparsity")
        ratio = n / mm_
        if not is_number(v) or abs(v - ratio) < 1e-9:
            continue
        text = fmt(round(ratio, 6))
        yield ctx.diagnostic(
            m.value_span("sparsity"),
            f"`sparsity: {fmt(v)}` on `{m.type}` is ignored: `mask_structure` "
            f"`{n}:{mm_}` prunes exactly {n} of every {mm_} weights (sparsity {text})",
            help=f"write `sparsity: {text}`, or use `mask_structure: \"0:0\"` for "
                 "unstructured sparsity",
            fix=replace_arg(ctx, m, ("sparsity",), text, f"set `sparsity` to `{text}`"))


RULE = Rule(code="RS520", name="nm-sparsity-mismatch", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="sometimes")
