"""Modifier never starts (`start_epoch` between -1 and 0).

## What it does
Flags a `start_epoch` strictly between -1 and 0, such as `-0.5`.

## Why is this bad?
SparseML starts a modifier when `epoch >= start_epoch >= 0` or when `start_epoch == -1`.
A value in between satisfies neither, so the modifier silently never runs.

## SparseML behaviour
Passes validation (`start_epoch >= -1`); measured for SetLearningRate and GMP: nothing
happens, ever. LayerPruningModifier swaps its layers at initialize and never restores them.

## Example
```yaml
- !SetLearningRateModifier
  start_epoch: -0.5
  learning_rate: 0.01
```

## Use instead
`start_epoch: -1` (from the first step) or `start_epoch: 0.0`.

## Fix safety
Safe: replaces the value with `-1`, the "from the first step" sentinel the author most
likely meant.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import start


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in ctx.valid():
        s = start(entry)
        if -1 < s < 0:
            yield ctx.diagnostic(
                entry.value_span("start_epoch"),
                f"`start_epoch` {numbers.epoch(s)} never comes: SparseML starts a modifier at "
                "`-1` (first step) or at an epoch >= 0, so `!" + entry.type + "` never runs",
                help="use -1 to start at the first step, or 0.0",
                fix=ctx.replace_value(entry, ("start_epoch",), "-1.0", "start at the first step"))


RULE = Rule(code="RS403", name="modifier-never-starts", severity=Severity.ERROR, doc=__doc__,
            check=check, fix="sometimes")
