"""QAT runs at a learning rate not well below the one before it.

## What it does
Compares the learning rate in force when QAT starts with the largest learning rate used
before it, and flags QAT phases whose rate is more than `max-ratio` (default 0.1) of it
while still at training scale (at least `min-lr`, default 1e-3). Transformer fine-tuning
rates (~5e-5), which SparseML's BERT recipes keep for QAT, stay below that floor.

## Why is this bad?
Quantization-aware training fine-tunes a converged model under fake quantization; at the
training learning rate it destroys the accuracy recovered after pruning. SparseML's own
recipes drop the rate by 100x or more for QAT (the YOLOv5 guide: 0.05 → 1e-5).

## SparseML behaviour
Nothing ties learning-rate modifiers to QAT.

## Example
```yaml
- !SetLearningRateModifier {start_epoch: 0.0, learning_rate: 0.05}
- !QuantizationModifier {start_epoch: 45.0}
```

## Use instead
```yaml
- !SetLearningRateModifier {start_epoch: 45.0, learning_rate: 1.0e-5}
```

## Options
`max-ratio` (default 0.1): the largest accepted ratio of QAT learning rate to the largest
earlier learning rate. `min-lr` (default 1e-3): QAT learning rates below this are never
flagged.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from recipe_studio import numbers
from recipe_studio.diagnostics import Diagnostic, Related, Severity
from recipe_studio.read.recipe import ModifierEntry
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._facts import LR_TYPES, QAT_TYPE, attr, end, first_epoch, valid_of
from recipe_studio.schedule.formulas import lr_function_value


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_ratio: float = Field(0.1, gt=0)
    min_lr: float = Field(1e-3, ge=0)


def value_at(entry: ModifierEntry, t: float) -> float | None:
    """Learning rate a modifier writes at epoch t (None if it writes nothing then)."""
    s, e = first_epoch(entry), end(entry)
    if t < s:
        return None
    if entry.type == "SetLearningRateModifier":
        return float(attr(entry, "learning_rate"))
    if entry.type == "LearningRateFunctionModifier":
        func = attr(entry, "lr_func")
        tt = min(t, e)
        try:
            return float(lr_function_value(func, tt, float(entry.view.effective_start_epoch),
                                           e, float(attr(entry, "init_lr")),
                                           float(attr(entry, "final_lr")),
                                           float(attr(entry, "cycle_epochs", 1.0))))
        except (ZeroDivisionError, ValueError, TypeError):
            return None
    if entry.type == "LearningRateModifier":
        kw = attr(entry, "lr_kwargs") or {}
        init = float(attr(entry, "init_lr"))
        tt = t if e == -1 else min(t, e)
        gamma = kw.get("gamma", 1.0) if isinstance(kw, dict) else 1.0
        cls = attr(entry, "lr_class")
        try:
            if cls in ("StepLR", "ExponentialLR"):
                size = float(kw.get("step_size", 1.0))
                return init * gamma ** int((tt - s) // size)
            if cls == "MultiStepLR":
                return init * gamma ** sum(1 for m in kw.get("milestones", []) if m <= tt)
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        return init
    return None


def lr_at(lrs: list[ModifierEntry], t: float) -> float | None:
    """The learning rate in force at epoch t: the latest-starting modifier that wrote it."""
    best: tuple[float, float] | None = None
    for m in lrs:
        v = value_at(m, t)
        if v is None:
            continue
        key = first_epoch(m)
        if best is None or key >= best[0]:
            best = (key, v)
    return None if best is None else best[1]


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    qats = list(valid_of(ctx, QAT_TYPE))
    lrs = [m for m in valid_of(ctx, LR_TYPES) if not attr(m, "param_groups")]
    if not qats or not lrs:
        return
    ratio = float(ctx.options.get("max_ratio", 0.1))
    q = min(qats, key=first_epoch)
    qs = first_epoch(q)
    if qs <= 0:
        return
    at_qat = lr_at(lrs, qs)
    samples = sorted({first_epoch(m) for m in lrs if first_epoch(m) < qs} |
                     {float(x) for x in range(0, int(qs))})
    before = [v for v in (lr_at(lrs, t) for t in samples if t < qs) if v is not None]
    if at_qat is None or not before:
        return
    peak = max(before)
    if peak <= 0 or at_qat <= ratio * peak or at_qat < float(ctx.options.get("min_lr", 1e-3)):
        return
    yield ctx.diagnostic(
        q.value_span("start_epoch"),
        f"QAT starts at epoch {numbers.epoch(qs)} with learning rate {at_qat:.3g}, "
        f"{at_qat / peak:.0%} of the {peak:.3g} used before it; QAT needs a much smaller rate",
        help=f"add `!SetLearningRateModifier` at epoch {numbers.epoch(qs)} with a rate of at most "
             f"{ratio * peak:.3g} (SparseML's recipes use ~1e-5)",
        related=[Related(q.tag_span, "QAT")])


RULE = Rule(code="RS705", name="qat-learning-rate-too-high", severity=Severity.WARNING,
            doc=__doc__, check=check, options=Options)
