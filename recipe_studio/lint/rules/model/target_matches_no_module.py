"""A `targets` entry of a stage recipe's modifier that selects no module of the model (`--model DIR`).

## What it does
With `--model` naming a Hugging Face model directory, checks every entry of `targets`,
`config_groups.<group>.targets` and `scheme: {PRESET: [targets]}` of the quantization and
one-shot pruning modifiers against the model's module names and (implied) classes, the way
the target library matches them. llm-compressor 0.14 (compressed-tensors 0.19
`utils/match.py`, `is_match`/`match_name`): a `re:` entry is `re.match`ed against the module
name (anchored at the start only, so `re:.*q_proj` is needed for `model.layers.0.self_attn.q_proj`);
any other entry must equal the module name or the name of the module's class or one of its
base classes (`Linear`). SparseML 1.8: the `targets` of `SparseGPTModifier`, `GPTQModifier`
and `WandaPruningModifier` name the layers run one at a time (`match_layers_params`: name,
`re:`, or the exact class name, e.g. `LlamaDecoderLayer`).

Class names are not in the checkpoint; they are implied (see `lint/hfmodel.py`): `Linear` /
`Embedding` from 2-D weights, and transformers' naming for `<Arch>ForCausalLM`
(`<Arch>DecoderLayer`, `<Arch>Attention`, `<Arch>MLP`, `<Arch>RMSNorm`). A class name the
checkpoint implies nothing about (`SiLU`, a custom class) is not reported. Modules without
parameters (`mlp.act_fn`, `rotary_emb`) are not in a checkpoint, so a pattern that selects
only such modules is reported (tests/judges/test_hfmodel_conformance.py compares the
matching with compressed-tensors' own on a saved transformers model).

## Why is this bad?
The modifier is built and the model loaded before anything looks at the targets: with no
match, compressed-tensors' `match_named_modules` yields nothing and the modifier quantizes
or prunes nothing, silently (llm-compressor); a saved checkpoint then has no quantized layer.

## SparseML behaviour
Applies to llm-compressor 0.14.0.1 (compressed-tensors 0.19.0) and to SparseML 1.8's
one-shot modifiers' `targets`; nothing is reported without `--model DIR`.

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16
      targets: ["q_proj"]          # a plain name must be the full module name
```

## Use instead
`targets: ["re:.*q_proj$"]`, or the class `Linear`.
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
    lib = _llm.LIBRARY[_llm.target(ctx)]
    for p in _llm.target_patterns(ctx):
        if _llm.matches(ctx, model, p.value) != []:
            continue
        yield ctx.diagnostic(
            p.modifier.value_span(*p.path),
            f"`{p.value}` in `{p.field}` of `{p.modifier.type}` matches no module of "
            f"{_llm.describe(model)}: {lib} would {_verb(p.modifier.type)} nothing with it",
            help=_llm.hint(model, p.value))


def _verb(modifier: str) -> str:
    return "prune" if "Pruning" in modifier or "SparseGPT" in modifier else "quantize"


RULE = Rule(code="RS820", name="target-matches-no-module", severity=Severity.ERROR,
            doc=__doc__, check=check, needs_model=True)
