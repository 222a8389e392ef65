"""`actorder` in the config of a quantizer that is not GPTQ.

## What it does
Flags `actorder` written in the `weights` of a config group of a `QuantizationModifier` or
`AutoRoundModifier` (llm-compressor).

## Why is this bad?
Activation ordering is a GPTQ technique: the order in which weight columns are quantized
and their errors propagated. Only `GPTQModifier` reads it; round-to-nearest
(`QuantizationModifier`) and AutoRound quantize every weight on its own and ignore it. A
recipe that asks for `actorder: weight` believing it improves accuracy gets nothing.

## SparseML behaviour
**Applies to llm-compressor 0.14.** `actorder` is read only in
`llmcompressor/modifiers/gptq/gptq_quantize.py` (`apply_activation_ordering`) and
`gptq/base.py`; compressed-tensors' `QuantizationArgs.actorder` accepts it on any scheme.

## Example
```yaml
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      config_groups:
        group_0:
          targets: [Linear]
          weights: {num_bits: 4, strategy: group, group_size: 128, actorder: weight}
```

## Use instead
Use `GPTQModifier` for activation ordering, or remove `actorder`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import LLMC, modifiers, quant_groups, target


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != LLMC:
        return
    for m in modifiers(ctx, {"QuantizationModifier", "AutoRoundModifier"}):
        for g in quant_groups(ctx, m):
            w = g.weights
            if not w or g.preset is not None or "actorder" not in w.get("_set", ()):
                continue
            v = getattr(w.get("actorder"), "value", w.get("actorder"))
            if v is None:
                continue
            yield ctx.diagnostic(
                m.key_span_of(*g.path, "weights", "actorder"),
                f"`actorder: {v}` in config group `{g.name}` of `{m.type}` is ignored: "
                "only `GPTQModifier` orders columns by activation",
                help="use `GPTQModifier`, or remove `actorder`")


RULE = Rule(code="RS624", name="actorder-ignored", severity=Severity.WARNING,
            doc=__doc__, check=check)
