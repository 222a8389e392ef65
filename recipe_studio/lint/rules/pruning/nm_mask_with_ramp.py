"""N:M mask with a sparsity ramp.

## What it does
Flags a pruner with an N:M `mask_type` (`'2:4'`, `tensorrt`) whose `init_sparsity` and
`final_sparsity` differ.

## Why is this bad?
An N:M mask can only realise sparsity 0 or exactly `1 - N/M`; SparseML raises
`ValueError: Sparsity must match N:M ratio` at the first intermediate update of the ramp.

## SparseML behaviour
Accepted at load; crashes at train time (measured with `'2:4'` and a 0.05 → 0.5 ramp).

## Example
```yaml
- !GMPruningModifier
  mask_type: '2:4'
  init_sparsity: 0.05
  final_sparsity: 0.5
  ...
```

## Use instead
`init_sparsity` equal to `final_sparsity` = `1 - N/M` (0.5 for 2:4).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, attr, valid_of

_NM = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in valid_of(ctx, GMP_TYPES):
        mask = attr(entry, "mask_type")
        if not isinstance(mask, str):
            continue
        if mask.lower() == "tensorrt":
            n, m = 2, 4
        else:
            match = _NM.match(mask)
            if not match:
                continue
            n, m = int(match.group(1)), int(match.group(2))
        if m == 0:
            continue
        target = 1 - n / m
        init, final = attr(entry, "init_sparsity"), attr(entry, "final_sparsity")
        bad = [v for v in (init, final) if isinstance(v, float) and
               not (v == 0 or abs(v - target) <= 0.01)]
        if init != final or bad:
            yield ctx.diagnostic(
                entry.value_span("mask_type"),
                f"`mask_type` {mask!r} only allows sparsity 0 or {target:g}, but the pruner "
                f"ramps {init!r} → {final!r}: SparseML fails at the first update that "
                "does not match",
                help=f"use `init_sparsity: {target}` and `final_sparsity: {target}`")


RULE = Rule(code="RS510", name="nm-mask-with-ramp", severity=Severity.ERROR, doc=__doc__,
            check=check)
