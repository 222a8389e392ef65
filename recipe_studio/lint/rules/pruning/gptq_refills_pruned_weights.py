"""A pruning stage followed by llm-compressor's `GPTQModifier`, which does not keep the mask.

## What it does
Flags a `GPTQModifier` that runs after a `SparseGPTModifier`, `WandaPruningModifier` or
`MagnitudePruningModifier` in a recipe run by llm-compressor 0.14.

## Why is this bad?
GPTQ quantizes a weight column at a time and spreads each column's rounding error over
the columns not yet quantized (`W[:, i2:] -= Err1 @ Hinv`). Pruned (zero) weights receive
that error like any other and come out non-zero: the 2:4 or unstructured mask of the
pruning stage is gone, the checkpoint cannot be saved in a sparse format, and sparse
kernels do not apply. SparseML 1.8's GPTQ kept zeros of layers more than 5 % sparse;
llm-compressor removed that logic, so SparseML recipes of the form "SparseGPT, then GPTQ"
(and older llm-compressor examples) silently lose their sparsity.

## SparseML behaviour
**Applies to llm-compressor 0.14** (not SparseML 1.8).
`llmcompressor/modifiers/gptq/gptq_quantize.py` `quantize_weight` has no mask handling;
vllm-project/llm-compressor pull request #2860 "Remove sparsity-preserving logic from GPTQ
quantization". SparseML 1.8 preserves zeros (`GPTQWrapper.compress`,
`preserve_zeros = sparsity >= SPARSITY_THRESHOLD`, neuralmagic/sparseml pull request #2281).

## Example
```yaml
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier: {sparsity: 0.5, mask_structure: "2:4"}
quantization_stage:
  quantization_modifiers:
    GPTQModifier: {scheme: W4A16, ignore: [lm_head]}
```

## Use instead
Quantize the pruned model with a modifier that rounds each weight on its own and so keeps
zeros, e.g. `QuantizationModifier` (symmetric schemes map 0 to 0), or run the recipe with
SparseML 1.8.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import LLMC, PRUNERS, modifiers, prunes, target


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    if target(ctx) != LLMC:
        return
    pruner = None
    for m in modifiers(ctx):
        if m.type in PRUNERS and prunes(m):
            pruner = pruner or m
        elif m.type == "GPTQModifier" and pruner is not None:
            yield ctx.diagnostic(
                m.key_span,
                f"`GPTQModifier` after `{pruner.type}` (stage `{pruner.stage}`) refills the "
                "pruned weights: llm-compressor 0.14's GPTQ does not keep sparsity masks",
                help="quantize with `QuantizationModifier` (round-to-nearest keeps zeros)",
                related=[Related(pruner.key_span, "the pruning modifier", ctx.path)])


RULE = Rule(code="RS521", name="gptq-refills-pruned-weights", severity=Severity.WARNING,
            doc=__doc__, check=check)
