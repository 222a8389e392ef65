"""`dampening_frac` outside (0, 1).

## What it does
Flags a `GPTQModifier` or `SparseGPTModifier` whose `dampening_frac` is zero, negative, or
1 and above.

## Why is this bad?
Both algorithms add `dampening_frac × mean(diag(H))` to the Hessian's diagonal before
inverting it with a Cholesky factorisation. With 0 (or less) any dead input channel or
rank-deficient calibration set makes the Hessian singular: the inversion fails and the layer
falls back to plain rounding (GPTQ) or an identity inverse (SparseGPT) — after the
calibration forward passes were paid for. At 1 and above the dampening outweighs the
Hessian itself and the second-order correction, the point of the algorithm, mostly
disappears. The libraries' own examples use 0.001–0.1.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** Neither checks the value.
llm-compressor: `gptq_quantize.factorize_hessian` and `sgpt_sparsify.sparsify_weight`
(llmcompressor/modifiers/{gptq,pruning/sparsegpt}/) log "Failed to invert hessian due to
numerical instability. Consider increasing ... dampening_frac" and fall back. SparseML 1.8:
`SparseGptWrapper.compress` and `GPTQWrapper.compress` compute `damp = percdamp *
mean(diag(H))` the same way.

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16
      dampening_frac: 0
```

## Use instead
```yaml
      dampening_frac: 0.01
```
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import field, fmt, given, is_number, library, modifiers


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx, {"GPTQModifier", "SparseGPTModifier"}):
        if not given(m, "dampening_frac"):
            continue
        v = field(m, "dampening_frac")
        if not is_number(v) or 0 < v < 1:
            continue
        why = ("the Hessian can be singular: the inversion fails and the layer falls back "
               "to plain rounding" if v <= 0 else
               "the dampening outweighs the Hessian: the second-order correction mostly "
               "disappears")
        yield ctx.diagnostic(
            m.value_span("dampening_frac"),
            f"`dampening_frac: {fmt(v)}` on `{m.type}` is outside (0, 1): {why} "
            f"({library(ctx)})",
            help="use a small positive fraction such as `0.01`")


RULE = Rule(code="RS230", name="dampening-frac-out-of-range", severity=Severity.WARNING,
            doc=__doc__, check=check)
