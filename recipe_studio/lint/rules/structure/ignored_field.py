"""A field SparseML accepts and then ignores.

## What it does
Flags fields that SparseML takes and throws away or overrides: `update_frequency` on
learning-rate, ConstantPruning, LayerPruning and distillation modifiers; `end_epoch` on
SetLearningRate, SetWeightDecay and LayerThinning (forced to -1); `inter_func` on
GradualParam (always linear); `global_sparsity` on RigL (forced false); unknown fields of
RigLPruningModifier (dropped; except the few it forwards to its base class, such as
`min_frequency`, which do take effect). (`log_types` has its own rule, `legacy-log-types`.)

## Why is this bad?
The recipe says something that does not happen. A reader (or a rescale) trusts a value that
has no effect, e.g. an `end_epoch` on a SetLearningRateModifier that never ends anything.

## SparseML behaviour
Accepted without a word; visible only in the re-serialised recipe.

## Example
```yaml
- !SetLearningRateModifier
  start_epoch: 0.0
  end_epoch: 10.0
  learning_rate: 0.01
```

## Use instead
Remove the field (use `!LearningRateFunctionModifier` for a rate that changes at an epoch).

## Fix safety
Safe: deleting a field SparseML ignores changes nothing it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.models.pruning import RIGL_FORWARDED

#: value SparseML uses instead, for the fields it forces (None: discarded, any value)
FORCED: dict[str, Any] = {"update_frequency": -1.0, "end_epoch": -1.0,
                          "inter_func": "linear", "global_sparsity": False}


def _same(given: Any, forced: Any) -> bool:
    if isinstance(forced, float) and isinstance(given, (int, float)) and not isinstance(given, bool):
        return float(given) == forced
    if isinstance(forced, bool):
        return bool(given) == forced
    return given == forced


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in ctx.valid():
        spec = entry.view
        ignored = spec.ignored_fields()
        for name in sorted(spec.model_fields_set):
            if name not in ignored:
                continue
            given = getattr(spec, name)
            forced = FORCED.get(name)
            if forced is not None and _same(given, forced):
                continue
            yield ctx.diagnostic(
                entry.key_span(name),
                f"`{name}` on `!{entry.type}` is ignored by SparseML ({ignored[name]})",
                help=f"remove `{name}`",
                fix=ctx.delete_field(entry, name, f"remove `{name}`"))
        extra = getattr(spec, "model_extra", None) or {}
        for name in extra:
            if name in RIGL_FORWARDED:
                continue  # RigL passes these on to its base class: they do change checks
            yield ctx.diagnostic(
                entry.key_span(name),
                f"unknown field `{name}` on `!{entry.type}`: SparseML's RigLPruningModifier "
                "takes **kwargs and silently drops it",
                help=f"remove `{name}` or fix its spelling",
                fix=ctx.delete_field(entry, name, f"remove `{name}`"))


RULE = Rule(code="RS120", name="ignored-field", severity=Severity.WARNING, doc=__doc__,
            check=check, fix="sometimes")
