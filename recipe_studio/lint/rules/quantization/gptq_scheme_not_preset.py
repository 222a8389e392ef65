"""A SparseML 1.8 `GPTQModifier` whose `scheme` is a string that is no preset.

## What it does
Flags `scheme: <string>` of a `GPTQModifier` in a SparseML 1.8 stage recipe when the string
is not one of SparseML's preset schemes (`W8A8`, `W4A16`, any case), with a did-you-mean fix
to the closest preset.

## Why is this bad?
SparseML 1.8 reads any string in `scheme` when it loads the recipe and looks at it only when
`GPTQModifier` builds its own quantization modifier, after the model is loaded
(`sparseml/modifiers/quantization/gptq/base.py`, `on_initialize_structure` lines 105-118,
`_build_quant_modifier` lines 174-191): a preset (`is_preset_scheme` upper-cases it) becomes
`{name: targets}`; any other string reaches `self.scheme.keys()` (line 182) and the run fails
with `AttributeError: 'str' object has no attribute 'keys'`. With `quantize: false`, a
`quantize` mapping or a quantization modifier already active, `_build_quant_modifier` is never
called and the string is silently ignored. Either way a misspelt preset (`W4A61`) never
means anything.

## SparseML behaviour
**Applies to SparseML 1.8.** llm-compressor 0.14 checks `scheme` when it loads the recipe (a
string that is no preset of compressed-tensors 0.19 fails there: a load error, RS220), and
`recipe-studio schema` flags it for both libraries.

## Example
```yaml
quant_stage:
  quant_modifiers:
    GPTQModifier:
      targets: [Linear]
      scheme: W4A61
```

## Use instead
A preset (`scheme: W4A16`), a mapping of presets to targets (`scheme: {W4A16: [Linear]}`) or
`config_groups`.

## Fix safety
Unsafe (did-you-mean): the string is renamed to the closest preset (`W4A61` to `W4A16`) when
one is close; another preset is another quantization, so check it is the one meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.fix import rename_fix
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import SPARSEML, field, modifiers, target


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != SPARSEML:
        return
    from recipe_studio.models.stage import ct_0_4

    for m in modifiers(ctx, "GPTQModifier"):
        scheme = field(m, "scheme")
        if not isinstance(scheme, str) or ct_0_4.is_preset_scheme(scheme):
            continue
        quantize = field(m, "quantize", True)
        if quantize is False or isinstance(quantize, dict):
            what = (f"ignored: with `quantize: {'false' if quantize is False else '{...}'}` "
                    "GPTQ does not build its own quantization")
        else:
            what = ("fails when GPTQ builds its quantization (`'str' object has no attribute "
                    "'keys'`), or is ignored when a quantization modifier is already active")
        presets = ", ".join(f"`{p}`" for p in ct_0_4.PRESETS)
        close = difflib.get_close_matches(scheme.upper(), list(ct_0_4.PRESETS), n=1, cutoff=0.5)
        fix = None
        site = m.sites.get(("scheme",))
        src = ctx.recipe.source
        if close and site is not None and src is not None and hasattr(site.node, "value"):
            fix = rename_fix(src.text, src.start + site.node.start, src.start + site.node.end,
                             scheme, close[0], safe=False, what="scheme")
        yield ctx.diagnostic(
            m.value_span("scheme"),
            f"`scheme: {scheme}` of `GPTQModifier` is no preset of SparseML 1.8 ({presets}): "
            + what,
            help=f"did you mean `{close[0]}`?" if close else
            f"use a preset ({presets}), a mapping of presets to targets or `config_groups`",
            fix=fix)


RULE = Rule(code="RS627", name="gptq-scheme-not-preset", severity=Severity.WARNING,
            doc=__doc__, check=check, fix="sometimes")
