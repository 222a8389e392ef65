"""`GPTQModifier.actorder` that contradicts the `actorder` of a config group.

## What it does
Flags a `GPTQModifier` whose `actorder` is written and differs from an `actorder` written
in the `weights` of one of its config groups (group, channel, tensor or block strategy).

## Why is this bad?
GPTQ reconciles the two when it resolves its quantization config: an unset modifier value
defers to the group, an equal one is fine, a different one raises `ValueError: Cannot
resolve activation ordering when both GPTQModifier.actorder and QuantizationScheme.actorder
are provided and differ`. That happens at `initialize`, after the model is loaded.

## SparseML behaviour
**Applies to llm-compressor 0.14.** `GPTQModifier.resolve_quantization_config.
resolve_actorder` (llmcompressor/modifiers/gptq/base.py); GPTQ resolves its config only at
`initialize` (`requires_calibration_data` is true).

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      actorder: weight
      config_groups:
        group_0:
          targets: [Linear]
          weights: {num_bits: 4, strategy: group, group_size: 128, actorder: static}
```

## Use instead
Write `actorder` in one place only (or the same value in both).
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import (
    LLMC, field, given, modifiers, quant_groups, target,
)

_USES = ("group", "tensor_group", "channel", "tensor", "block")


def _value(v):
    return getattr(v, "value", v)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != LLMC:
        return
    for m in modifiers(ctx, "GPTQModifier"):
        if not given(m, "actorder"):
            continue
        mine = _value(field(m, "actorder"))
        if mine is None:
            continue
        for g in quant_groups(ctx, m):
            w = g.weights
            if not w or w.get("strategy") not in _USES:
                continue
            theirs = _value(w.get("actorder"))
            if theirs is None or str(theirs) == str(mine):
                continue
            yield ctx.diagnostic(
                m.value_span("actorder"),
                f"`actorder: {mine}` on `GPTQModifier` differs from `actorder: {theirs}` "
                f"of config group `{g.name}`: GPTQ raises at initialize",
                help="write `actorder` in one place only",
                related=[Related(m.value_span(*g.path, "weights", "actorder"),
                                 "the group's actorder", ctx.path)])
            break


RULE = Rule(code="RS623", name="actorder-conflict", severity=Severity.ERROR,
            doc=__doc__, check=check)
