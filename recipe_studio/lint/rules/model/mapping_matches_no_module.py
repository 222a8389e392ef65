"""A SmoothQuant/AWQ `mappings` pattern that matches no module of the model (`--model DIR`).

## What it does
With `--model DIR` (a Hugging Face model directory), checks each layer pattern of
`SmoothQuantModifier`, `LogarithmicEqualizationModifier` (`[[balance layers...], smooth
layer]`) and `AWQModifier` (`{smooth_layer, balance_layers}`) `mappings` against the model's
module names and implied classes, matched as compressed-tensors does (`re:` is `re.match`ed,
anchored at the start; other entries equal a module or class name).

## Why is this bad?
llm-compressor resolves mappings with compressed-tensors' `match_modules_set`
(`transform/smoothquant/base.py:_resolve_mappings`, `transform/awq/base.py`): when none of
a mapping's patterns matches it yields no set and the mapping is dropped without a message,
so the recipe smooths nothing and the quantizer after it sees the outliers SmoothQuant was
meant to move; when some match and one does not, it raises `ValueError: Found a final
incomplete set ...` at initialize, after the model is loaded. Mappings copied from another
architecture (`re:.*input_layernorm` for a model whose norms are `ln_1`) are the usual
cause.

## SparseML behaviour
Applies to llm-compressor 0.14.0.1 (SmoothQuant, LogarithmicEqualization, AWQ) and to
SparseML 1.8's SmoothQuant and LogarithmicEqualization (`smoothquant/base.py:_resolve_mappings`:
the smooth layer through `get_layers` — name, `re:`, class — and each balance pattern through
`get_matching_layer`, the nearest module whose name it matches).

## Example
```yaml
quant_stage:
  quant_modifiers:
    SmoothQuantModifier:
      smoothing_strength: 0.8
      mappings:
        - [["re:.*c_attn"], "re:.*ln_1"]     # GPT-2 names on a Llama model
```

## Use instead
The model's names: `[["re:.*q_proj", "re:.*k_proj", "re:.*v_proj"], "re:.*input_layernorm"]`,
or no `mappings` (llm-compressor infers them for known architectures).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules.model import _llm


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    model = _llm.hf_model(ctx)
    if model is None:
        return
    by_mapping: dict[tuple[int, Any], list[tuple[_llm.Pattern, bool]]] = {}
    for p in _llm.mapping_patterns(ctx):
        found = _llm.matches(ctx, model, p.value)
        by_mapping.setdefault((id(p.modifier), p.path[1]), []).append((p, found != []))
    for patterns in by_mapping.values():
        some = any(ok for _, ok in patterns)
        for p, ok in patterns:
            if ok:
                continue
            what = ("SparseML 1.8 resolves no layer for it (`get_layers` for the smooth "
                    "layer, `get_matching_layer` for the balance layers)"
                    if _llm.target(ctx) == "sparseml" else
                    "the other patterns of the mapping match, so compressed-tensors' "
                    "`match_modules_set` raises `ValueError` (an incomplete set) at initialize"
                    if some else "no pattern of the mapping matches, so it is dropped "
                    "without a message")
            yield ctx.diagnostic(
                p.modifier.value_span(*p.path),
                f"`{p.value}` ({p.field} of mapping {p.path[1]} of `{p.modifier.type}`) "
                f"matches no module of {_llm.describe(model)}: {what}",
                help=_llm.hint(model, p.value))


RULE = Rule(code="RS822", name="mapping-matches-no-module", severity=Severity.ERROR,
            doc=__doc__, check=check, needs_model=True)
