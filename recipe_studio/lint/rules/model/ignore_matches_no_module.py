"""An `ignore` entry of a stage recipe's modifier that matches no module of the model (`--model DIR`).

## What it does
With `--model DIR` (a Hugging Face model directory), checks every `ignore` entry of the
quantization, one-shot pruning and smoothing modifiers against the model's modules, with the
target library's matching (as `target-matches-no-module`): `re:` is `re.match`ed against the
module name, any other entry must equal a module name or class name.

## Why is this bad?
An ignore entry that matches nothing protects nothing: the layer it was meant to keep in
full precision (`lm_head`, a `mlp.gate` router, a vision tower) is quantized after all. The
usual cause is a plain name written as a suffix (`gate` for `model.layers.0.mlp.gate`): only
`re:` entries are patterns. llm-compressor does not warn about an unmatched `ignore` entry
(compressed-tensors' `match_named_modules` only filters with it).

## SparseML behaviour
Applies to llm-compressor 0.14.0.1 (compressed-tensors 0.19.0 `is_match`) and SparseML 1.8
(compressed-tensors 0.4's `find_first_name_or_class_match`, which also `re.match`es the
class name). A tied `lm_head` (`tie_word_embeddings`) is a module too and is matched.

## Example
```yaml
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      scheme: FP8_DYNAMIC
      targets: [Linear]
      ignore: [lm_head, "mlp.gate"]     # not a module name
```

## Use instead
`ignore: [lm_head, "re:.*mlp.gate$"]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules.model import _llm


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    model = _llm.hf_model(ctx)
    if model is None:
        return
    for p in _llm.ignore_patterns(ctx):
        if _llm.matches(ctx, model, p.value) != []:
            continue
        yield ctx.diagnostic(
            p.modifier.value_span(*p.path),
            f"`{p.value}` in `ignore` of `{p.modifier.type}` matches no module of "
            f"{_llm.describe(model)}, so it keeps nothing out",
            help=_llm.hint(model, p.value))


RULE = Rule(code="RS821", name="ignore-matches-no-module", severity=Severity.WARNING,
            doc=__doc__, check=check, needs_model=True)
