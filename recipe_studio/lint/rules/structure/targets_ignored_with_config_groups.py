"""A quantizer's `targets` ignored because `config_groups` (or a scheme mapping) names its own.

## What it does
Flags `targets` written on a `GPTQModifier`, `QuantizationModifier` or `AutoRoundModifier`
(llm-compressor) that also has `config_groups`, or a `scheme` written as a mapping
`{preset: targets}`, whose targets differ from it.

## Why is this bad?
The modifier-level `targets` only reaches the quantization config when `scheme` is a
single preset name, or when neither `scheme` nor `config_groups` is given. With
`config_groups`, each group's own `targets` decide which modules are quantized; with a
scheme mapping, its values do. A `targets` written beside them reads as if it narrowed the
selection, and does nothing.

## SparseML behaviour
**Applies to llm-compressor 0.14.** `QuantizationMixin.resolve_quantization_config`
(llmcompressor/modifiers/quantization/quantization/mixin.py) uses `self.targets` only in
`{scheme: targets}` for a preset name and in the default `QuantizationScheme(targets=...)`;
`resolved_targets` is computed from the config groups. (SparseML 1.8's `GPTQModifier.targets`
means something else: the layers compressed one after another.)

## Example
```yaml
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      targets: ["re:.*self_attn.*"]
      config_groups:
        group_0:
          targets: ["Linear"]
          weights: {num_bits: 8, type: int, symmetric: true, strategy: channel}
```

## Use instead
Put the selection in the group's `targets` (and remove the modifier-level one).

## Fix safety
Safe: the deleted field is never read.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import (
    LLMC, QUANTIZERS, _as_list, delete_arg, field, given, modifiers, target,
)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != LLMC:
        return
    for m in modifiers(ctx, QUANTIZERS):
        if not given(m, "targets"):
            continue
        scheme = field(m, "scheme")
        groups = field(m, "config_groups")
        written = _as_list(field(m, "targets"))
        if isinstance(scheme, dict) and scheme:
            used = sorted({t for v in scheme.values() for t in _as_list(v)})
            where = "the `scheme` mapping"
        elif scheme is None and groups:
            used = sorted({t for g in groups.values()
                           for t in _as_list(getattr(g, "targets", None))})
            where = "`config_groups`"
        else:
            continue
        if sorted(set(written)) == used:
            continue
        yield ctx.diagnostic(
            m.key_span_of("targets"),
            f"`targets` {written} on `{m.type}` is ignored: {where} names the quantized "
            f"modules ({used})",
            help="move the selection into the group's `targets` and remove this one",
            fix=delete_arg(ctx, m, "targets", "remove the ignored `targets`"))


RULE = Rule(code="RS142", name="targets-ignored-with-config-groups", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="sometimes")
