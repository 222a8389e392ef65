"""`leave_enabled` on llm-compressor's `MagnitudePruningModifier`.

## What it does
Flags `leave_enabled` written on a `MagnitudePruningModifier` of a recipe run by
llm-compressor.

## Why is this bad?
In SparseML 1.8 `leave_enabled: true` (its default) keeps the masks applied after the
pruning window, so fine-tuning cannot regrow pruned weights. llm-compressor deprecated the
field and forces it to `false`: a SparseML recipe carried over keeps the line but loses the
behaviour, and pruned weights regrow in a later training stage unless a
`ConstantPruningModifier` holds the masks.

## SparseML behaviour
**Applies to llm-compressor 0.14.** `MagnitudePruningModifier.validate_leave_enabled`
(llmcompressor/modifiers/pruning/magnitude/base.py) warns with a `DeprecationWarning` and
returns `False` for any value. SparseML 1.8's stage `MagnitudePruningModifier` honours it
(default `True`).

## Example
```yaml
pruning_stage:
  pruning_modifiers:
    MagnitudePruningModifier:
      targets: ["re:.*proj.weight"]
      init_sparsity: 0.0
      final_sparsity: 0.5
      leave_enabled: true
```

## Use instead
Remove `leave_enabled` and hold the masks in the following training stage with a
`ConstantPruningModifier` on the same targets.

## Fix safety
Safe: llm-compressor replaces whatever is written with `false`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import LLMC, delete_arg, given, modifiers, target


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != LLMC:
        return
    for m in modifiers(ctx, "MagnitudePruningModifier"):
        if not given(m, "leave_enabled"):
            continue
        value = m.args.get("leave_enabled")
        yield ctx.diagnostic(
            m.key_span_of("leave_enabled"),
            f"`leave_enabled: {str(value).lower()}` on `MagnitudePruningModifier` is "
            "deprecated and forced to `false` by llm-compressor 0.14",
            help="remove it; keep masks in later stages with a `ConstantPruningModifier`",
            fix=delete_arg(ctx, m, "leave_enabled", "remove `leave_enabled`"))


RULE = Rule(code="RS141", name="leave-enabled-ignored", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="sometimes")
