"""`smoothing_strength` outside [0, 1].

## What it does
Flags a `SmoothQuantModifier` or `LogarithmicEqualizationModifier` whose
`smoothing_strength` is below 0 or above 1.

## Why is this bad?
SmoothQuant moves quantization difficulty from activations to weights with per-channel
scales `s = max|X|^α / max|W|^(1-α)`, α being `smoothing_strength`: 0 leaves activations
alone, 1 moves all of it onto the weights. Outside [0, 1] the exponents change sign, so the
scales *amplify* activation outliers (α < 0) or weight outliers (α > 1) — the opposite of the
modifier's purpose — and the quantizer that follows loses accuracy. Nothing checks it.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** Both document the field as "alpha,
intensity of smoothing to perform (0-1 range)" and never check it:
`SmoothQuantModifier._apply_smoothing`
(llmcompressor/modifiers/transform/smoothquant/base.py;
sparseml/modifiers/smoothquant/base.py) computes
`activation_scales.pow(α) / weight_scales.pow(1 - α)`.

## Example
```yaml
quant_stage:
  quant_modifiers:
    SmoothQuantModifier:
      smoothing_strength: 8
```

## Use instead
```yaml
      smoothing_strength: 0.8
```
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import field, fmt, given, is_number, modifiers


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx, {"SmoothQuantModifier", "LogarithmicEqualizationModifier"}):
        if not given(m, "smoothing_strength"):
            continue
        v = field(m, "smoothing_strength")
        if not is_number(v) or 0 <= v <= 1:
            continue
        yield ctx.diagnostic(
            m.value_span("smoothing_strength"),
            f"`smoothing_strength: {fmt(v)}` on `{m.type}` is outside [0, 1]: the scales "
            f"amplify {'activation' if v < 0 else 'weight'} outliers instead of smoothing",
            help="use a value in [0, 1]; 0.5–0.8 is usual")


RULE = Rule(code="RS233", name="smoothing-strength-out-of-range", severity=Severity.WARNING,
            doc=__doc__, check=check)
