"""A quantizer whose `ignore` covers every one of its targets.

## What it does
Flags a `GPTQModifier`, `QuantizationModifier` or `AutoRoundModifier` whose `ignore` list
contains a match-everything pattern (`re:.*`, `re:.+`) or every one of the modifier's
resolved targets.

## Why is this bad?
A module is quantized when it matches a target and no `ignore` entry. With every target
also ignored, the modifier quantizes nothing: the run calibrates (GPTQ: Hessians for every
layer) and saves a checkpoint that is not quantized, or fails later when no module carries
a quantization scheme.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** compressed-tensors'
`match_named_modules(model, targets, ignore)` (compressed_tensors/utils/match.py) skips a
module that matches any `ignore` entry; `apply_quantization_config` does the same with the
config's `ignore` list.

## Example
```yaml
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      scheme: W8A8
      targets: [Linear]
      ignore: [Linear]
```

## Use instead
Ignore only the modules to keep in full precision, e.g. `ignore: [lm_head]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import QUANTIZERS, ignore_list, modifiers, quant_groups

_ALL = ("re:.*", "re:.+", "re:.*$", "re:^.*", "re:^.*$")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx, QUANTIZERS):
        ignore = ignore_list(m)
        if not ignore:
            continue
        everything = [p for p in ignore if p in _ALL]
        targets = {t for g in quant_groups(ctx, m) for t in g.targets}
        if not everything and not (targets and targets <= set(ignore)):
            continue
        what = f"`{everything[0]}` matches every module" if everything else \
            f"it lists every target ({sorted(targets)})"
        yield ctx.diagnostic(
            m.key_span_of("ignore"),
            f"`ignore` of `{m.type}` leaves nothing to quantize: {what}",
            help="ignore only the modules to keep in full precision, e.g. `lm_head`")


RULE = Rule(code="RS626", name="everything-ignored", severity=Severity.WARNING,
            doc=__doc__, check=check)
