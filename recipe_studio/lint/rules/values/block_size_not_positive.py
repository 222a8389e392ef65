"""`block_size` of zero or less.

## What it does
Flags a `GPTQModifier` or `SparseGPTModifier` whose `block_size` is 0 or negative.

## Why is this bad?
`block_size` is the step of the loop over weight columns (`range(0, columns, block_size)`).
Zero raises `ValueError: range() arg 3 must not be zero`; a negative step runs no iteration
at all, so the layer is left exactly as it was (GPTQ then writes the weights back
unquantized by its algorithm; SparseGPT prunes nothing). Neither library checks the value
when the recipe loads: the failure comes after the model is loaded and calibrated.

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** llm-compressor:
`gptq_quantize.quantize_weight` and `sgpt_sparsify.sparsify_weight` loop
`for i1 in range(0, num_columns, block_size)`; SparseML 1.8: `SparseGptWrapper.compress`
and `GPTQWrapper.compress` loop `range(0, self.columns, blocksize)`. The field is a plain
`int` in both.

## Example
```yaml
oneshot_stage:
  pruning_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      block_size: 0
```

## Use instead
```yaml
      block_size: 128
```

## Fix safety
Safe: `128` is both libraries' default; the value as written cannot run.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import field, given, modifiers, replace_arg


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx, {"GPTQModifier", "SparseGPTModifier"}):
        if not given(m, "block_size"):
            continue
        v = field(m, "block_size")
        if not isinstance(v, int) or isinstance(v, bool) or v > 0:
            continue
        what = ("raises `ValueError: range() arg 3 must not be zero`" if v == 0 else
                "makes the column loop run no iteration: the layer is left as it was")
        yield ctx.diagnostic(
            m.value_span("block_size"),
            f"`block_size: {v}` on `{m.type}` {what}",
            help="use the default `128`",
            fix=replace_arg(ctx, m, ("block_size",), "128", "set `block_size` to `128`"))


RULE = Rule(code="RS231", name="block-size-not-positive", severity=Severity.ERROR,
            doc=__doc__, check=check, fix="sometimes")
