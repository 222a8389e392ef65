"""Pruning updates that do not land where the recipe says (needs `--steps-per-epoch`).

## What it does
Simulates SparseML's update timing for each GMP-family pruner with the given steps per
epoch and flags pruners whose updates differ from the nominal grid `start + k * frequency`:
a frequency that is not a whole number of steps, or updates skipped by floating-point drift.

## Why is this bad?
SparseML schedules the next update at the first step at or after `t_last + frequency`, where
`t_last` is the epoch of the previous (already rounded-up) update. A frequency of 0.3 epochs
with 4 steps per epoch updates every 0.5 epochs; `0.2 + 0.1 > 0.3` in floating point skips
the update at epoch 0.3 with 10 steps per epoch. The sparsity curve is not the one written.

## SparseML behaviour
Accepted silently (measured: f=0.1, 10 steps/epoch updates at 0.0, 0.1, 0.2, **0.4**, ...).

## Example
```yaml
# with --steps-per-epoch 10
- !GMPruningModifier
  params: __ALL_PRUNABLE__
  init_sparsity: 0.05
  final_sparsity: 0.8
  start_epoch: 0.0
  end_epoch: 1.0
  update_frequency: 0.1
```

## Use instead
A frequency that is a whole number of steps and not prone to drift, e.g. `0.5` or `1.0`,
or `-1` to update every step.

## Options
Uses `steps-per-epoch` from the command line or the configuration.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import GMP_TYPES, attr, end, start, valid_of


def update_epochs(s: float, e: float, f: float, spe: int, limit: int = 100_000) -> list[float]:
    """Epochs of SparseML's GMP updates (start, regular, end) for steps_per_epoch `spe`."""
    out: list[float] = []
    started = ended = False
    last = 0.0
    k = 0
    while not ended and k < limit:
        t = float(k // spe) + float(k % spe) / float(spe)
        update = False
        if not started and (t >= s >= 0 or s == -1):
            started = update = True
        elif started and t > s and (f <= 0 or t >= last + f):
            update = True
        if started and t >= e >= 0:
            update = ended = True
        if update:
            out.append(t)
            last = t
        k += 1
    return out


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    spe = ctx.steps_per_epoch
    if not spe:
        return
    for entry in valid_of(ctx, GMP_TYPES):
        s, e = start(entry), end(entry)
        f = float(attr(entry, "update_frequency", -1) or 0)
        if e == -1 or e <= s or f <= 0 or s < -1 or (-1 < s < 0):
            continue
        if (e - max(s, 0)) * spe > 100_000:
            continue
        actual = update_epochs(s, e, f, spe)
        s0 = 0.0 if s == -1 else s
        nominal = []
        k = 0
        while s0 + k * f < e - 1e-12 and k < 100_000:
            nominal.append(s0 + k * f)
            k += 1
        nominal.append(e)
        # the step each nominal epoch falls on (first step at/after it)
        step_of = [math.ceil(x * spe - 1e-9) / spe for x in nominal]
        expected = sorted(set(round(x, 9) for x in step_of))
        got = sorted(set(round(x, 9) for x in actual))
        if got == expected:
            continue
        missing = [x for x in expected if x not in got]
        extra = [x for x in got if x not in expected]
        period = math.ceil(f * spe - 1e-9)
        if missing:
            detail = (f"updates at epoch{'s' if len(missing) > 1 else ''} "
                      f"{', '.join(numbers.epoch(x) for x in missing[:4])}"
                      f"{'...' if len(missing) > 4 else ''} are skipped")
        else:
            detail = f"updates land at {', '.join(numbers.epoch(x) for x in extra[:4])}"
        yield ctx.diagnostic(
            entry.value_span("update_frequency"),
            f"with {spe} steps per epoch, `update_frequency` {numbers.epoch(f)} is "
            f"{f * spe:g} steps: {detail} ({len(got)} updates instead of {len(expected)})",
            help=f"use a frequency that is a whole number of steps (e.g. "
                 f"{numbers.epoch(max(period, 1) / spe)}), or -1 to update every step")


RULE = Rule(code="RS503", name="update-frequency-off-step-grid", severity=Severity.WARNING,
            doc=__doc__, check=check, needs_steps=True)
