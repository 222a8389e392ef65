"""`sequential_update` on an llm-compressor pruner.

## What it does
Flags `sequential_update` written on a `SparseGPTModifier` or `WandaPruningModifier` of a
recipe run by llm-compressor.

## Why is this bad?
The field is deprecated and has no effect: llm-compressor always prunes layer by layer
(its sequential pipeline). `sequential_update: false`, the way SparseML 1.8 recipes turned
the layer-by-layer mode off, does not turn anything off; it only earns a
`DeprecationWarning` and is replaced by `true`. A recipe that relies on the old meaning
(e.g. to trade memory for speed) silently gets the other behaviour.

## SparseML behaviour
**Applies to llm-compressor 0.14** (not SparseML 1.8, where `sequential_update` chooses
between the two modes of SparseGPT). `SparsityModifierBase.validate_sequential_update`
(llmcompressor/modifiers/pruning/sparsegpt/sgpt_base.py) returns `True` for every value and
warns "`sequential_update=False` is no longer supported, setting sequential_update=True".

## Example
```yaml
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      sequential_update: false
```

## Use instead
```yaml
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
```

## Fix safety
Safe: the field is overwritten with `true` whatever is written, so deleting it changes
nothing llm-compressor does.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import (
    LLMC, ONESHOT_PRUNERS, delete_arg, given, modifiers, target,
)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != LLMC:
        return
    for m in modifiers(ctx, ONESHOT_PRUNERS):
        if not given(m, "sequential_update"):
            continue
        value = m.args.get("sequential_update")
        yield ctx.diagnostic(
            m.key_span_of("sequential_update"),
            f"`sequential_update: {str(value).lower()}` on `{m.type}` is deprecated and "
            "ignored by llm-compressor 0.14 (always `true`)",
            help="remove `sequential_update`",
            fix=delete_arg(ctx, m, "sequential_update", "remove `sequential_update`"))


RULE = Rule(code="RS140", name="sequential-update-ignored", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="sometimes")
