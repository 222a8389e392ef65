"""A quantizer targeting every `Linear` layer without ignoring `lm_head`.

## What it does
Flags a `GPTQModifier`, `QuantizationModifier` or `AutoRoundModifier` whose resolved
targets include `Linear` (every linear layer, the output head included) and whose `ignore`
has no entry matching `lm_head`.

## Why is this bad?
The output projection is the layer most sensitive to quantization (its errors go straight
into the logits), and most serving engines do not load a quantized `lm_head`: vLLM fails
with "There is no module or parameter named 'lm_head.weight_packed'"
(vllm-project/llm-compressor issue #1820: "for most cases, vLLM does not support lm_head
quantization"). Every llm-compressor and SparseML example recipe therefore writes
`ignore: ["lm_head"]`; forgetting it is found only when the checkpoint is served.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** `Linear` matches by class name in
compressed-tensors' `match_named_modules` / `find_name_or_class_matches`, so `lm_head`
(an `nn.Linear`) is quantized unless `ignore` names it; neither library excludes it by
itself. A recipe that names `lm_head` in `targets` on purpose is not flagged.

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16
      targets: [Linear]
```

## Use instead
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16
      targets: [Linear]
      ignore: [lm_head]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import (
    QUANTIZERS, field, ignore_list, modifiers, pattern_matches, quant_groups,
)

_HEADS = ("lm_head",)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx, QUANTIZERS):
        groups = [g for g in quant_groups(ctx, m) if g.weights is not None]
        if m.type == "QuantizationModifier" and not groups and \
                field(m, "kv_cache_scheme") is not None:
            continue  # a kv-cache-only quantizer
        if not any("Linear" in g.targets or "re:.*" in g.targets for g in groups):
            continue
        if any(t in _HEADS or "lm_head" in t for g in groups for t in g.targets):
            continue  # named on purpose
        ignore = ignore_list(m)
        if any(pattern_matches(p, "lm_head") or "lm_head" in p for p in ignore):
            continue
        at = m.key_span_of("ignore") if ignore else m.key_span
        yield ctx.diagnostic(
            at,
            f"`{m.type}` quantizes every `Linear` layer and its `ignore` does not name "
            "`lm_head`: the output head is quantized (most serving engines cannot load it)",
            help="add `lm_head` to `ignore`")


RULE = Rule(code="RS621", name="lm-head-quantized", severity=Severity.WARNING,
            doc=__doc__, check=check)
