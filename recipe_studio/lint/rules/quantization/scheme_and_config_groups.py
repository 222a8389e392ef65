"""Both `scheme` and `config_groups` on a calibrating quantizer.

## What it does
Flags a `GPTQModifier` or `AutoRoundModifier` (or a `QuantizationModifier` with a
`kv_cache_scheme`) of an llm-compressor recipe that gives both `scheme` and
`config_groups`.

## Why is this bad?
llm-compressor accepts one or the other and raises `ValueError: Please specify either
`scheme` or `config_groups`` when it resolves the quantization config. A plain
`QuantizationModifier` resolves it while the recipe loads (recipe-studio reports that as
RS220); modifiers that need calibration data resolve it only at `initialize` — after the
model is loaded, so the mistake costs a full model load.

## SparseML behaviour
**Applies to llm-compressor 0.14.** `QuantizationMixin.resolve_quantization_config`
(llmcompressor/modifiers/quantization/quantization/mixin.py) raises; the model validator
`_set_requires_calibration_data` calls it at construction only when
`requires_calibration_data` is false and there is no `kv_cache_scheme`, which excludes GPTQ
and AutoRound.

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16
      config_groups:
        group_0:
          targets: [Linear]
          weights: {num_bits: 8, type: int, strategy: channel}
```

## Use instead
Keep one of the two (a preset `scheme`, or the explicit `config_groups`).
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import LLMC, QUANTIZERS, field, modifiers, target


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != LLMC:
        return
    for m in modifiers(ctx, QUANTIZERS):
        if field(m, "scheme") is None or field(m, "config_groups") is None:
            continue
        if m.type == "QuantizationModifier" and field(m, "kv_cache_scheme") is None and \
                not field(m, "requires_calibration_data", False):
            continue  # rejected at load (RS220)
        yield ctx.diagnostic(
            m.key_span_of("config_groups"),
            f"`{m.type}` has both `scheme` and `config_groups`: llm-compressor 0.14 "
            "raises `Please specify either scheme or config_groups` at initialize, after "
            "the model is loaded",
            help="keep either `scheme` or `config_groups`",
            related=[Related(m.key_span_of("scheme"), "the scheme", ctx.path)])


RULE = Rule(code="RS622", name="scheme-and-config-groups", severity=Severity.ERROR,
            doc=__doc__, check=check)
