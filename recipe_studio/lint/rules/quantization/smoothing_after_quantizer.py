"""SmoothQuant, logarithmic equalization, SpinQuant or QuIP placed after the quantizer.

## What it does
Flags a `SmoothQuantModifier`, `LogarithmicEqualizationModifier`, `SpinQuantModifier` or
`QuIPModifier` that runs after a `GPTQModifier`, `QuantizationModifier` or
`AutoRoundModifier` of the same recipe.

## Why is this bad?
These modifiers rescale or rotate weights and activations *so that the quantizer sees
easier ranges*. Modifiers run in recipe order; placed after the quantizer, the scales and
zero points are already computed from the unsmoothed weights and frozen, and the smoothing
then changes the weights under them (SmoothQuant folds its scales into the weights, SpinQuant
and QuIP fuse rotations into them): accuracy drops instead of improving, with no error.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8** (SmoothQuant and logarithmic
equalization; SpinQuant and QuIP exist only in llm-compressor). llm-compressor's modifier
README: SmoothQuant "is intended to be used prior to a `QuantizationModifier` or
`GPTQModifier`"; every example recipe puts it first (vllm-project/llm-compressor pull
request #165; issue #23, where the order of a Python recipe list was lost, was fixed in
pull request #26 "preserve modifier order"). Modifiers are applied in the order of the
stages and of their entries (`llmcompressor/recipe/recipe.py`).

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier: {scheme: W8A8, ignore: [lm_head]}
    SmoothQuantModifier: {smoothing_strength: 0.8}
```

## Use instead
```yaml
quant_stage:
  quant_modifiers:
    SmoothQuantModifier: {smoothing_strength: 0.8}
    GPTQModifier: {scheme: W8A8, ignore: [lm_head]}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import PREPARERS, QUANTIZERS, modifiers


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    quantizer = None
    for m in modifiers(ctx, PREPARERS | QUANTIZERS):
        if m.type in QUANTIZERS:
            quantizer = quantizer or m
        elif quantizer is not None:
            yield ctx.diagnostic(
                m.key_span,
                f"`{m.type}` runs after `{quantizer.type}` (stage `{quantizer.stage}`): "
                "the quantizer already calibrated on the unprepared weights",
                help=f"move `{m.type}` before `{quantizer.type}`",
                related=[Related(quantizer.key_span, "the quantizer", ctx.path)])


RULE = Rule(code="RS620", name="smoothing-after-quantizer", severity=Severity.WARNING,
            doc=__doc__, check=check)
