"""An epoch written as a number equal to a variable's value.

## What it does
Flags an epoch position (`start_epoch`, `end_epoch`, `freeze_bn_stats_epoch`,
`disable_quantization_observer_epoch`) written as a literal that equals a numeric variable
the recipe already uses for epoch positions, such as `end_epoch: 50.0` next to
`num_epochs: 50`. Durations (`update_frequency`, `cycle_epochs`) are not compared.

## Why is this bad?
Changing the variable (by hand, with `--recipe_args`, or when the schedule is rescaled) moves
every field that refers to it — except this one, which silently keeps the old epoch.

## SparseML behaviour
Nothing to report: the value is a number either way.

## Example
```yaml
num_epochs: 50.0
modifiers:
  - !EpochRangeModifier {start_epoch: 0.0, end_epoch: eval(num_epochs)}
  - !LearningRateFunctionModifier {start_epoch: 30.0, end_epoch: 50.0, ...}
```

## Use instead
`end_epoch: eval(num_epochs)`.

## Fix safety
Safe: `eval(<variable>)` has the same value today.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import is_float

#: fields that are points in time (durations such as `update_frequency` are not compared)
POSITIONS = ("start_epoch", "end_epoch", "freeze_bn_stats_epoch",
             "disable_quantization_observer_epoch")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    recipe = ctx.recipe
    # variables already used in epoch fields: the recipe's own "epoch vocabulary"
    epoch_vars: dict[float, list[str]] = {}
    for entry in ctx.valid():
        for name in entry.view.epoch_fields():
            site = entry.site(name)
            if site is None or name not in POSITIONS:
                continue
            for var in site.variables:
                v = recipe.variables.get(var)
                if v is not None and v.numeric and is_float(v.value) and \
                        (site.expression == var or site.alias):
                    epoch_vars.setdefault(float(v.value), [])
                    if var not in epoch_vars[float(v.value)]:
                        epoch_vars[float(v.value)].append(var)
    if not epoch_vars:
        return
    for entry in ctx.valid():
        for name in entry.view.epoch_fields():
            site = entry.site(name)
            if name not in POSITIONS or site is None or site.expression is not None or \
                    site.alias:
                continue
            value = entry.args.get(name)
            if not is_float(value) or float(value) in (0.0, -1.0):
                continue
            names = epoch_vars.get(float(value))
            if not names:
                continue
            var = names[0]
            yield ctx.diagnostic(
                site.value_span,
                f"`{name}` is the literal {numbers.epoch(float(value))}, the value of `{var}`: it "
                f"will not follow when `{var}` changes",
                help=f"write `{name}: eval({var})`",
                related=[Related(recipe.variables[var].key_span, f"`{var}` is defined here")],
                fix=ctx.replace_value(entry, (name,), f"eval({var})",
                                      f"write `eval({var})`"))


RULE = Rule(code="RS312", name="hard-coded-epoch", severity=Severity.WARNING, doc=__doc__,
            check=check, fix="sometimes")
