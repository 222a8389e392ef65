"""Independent checks of a scaled recipe against its original (no code shared with scale.py).

`expected_problems(orig, new, plan)` re-derives, from the modifier models alone, what every
field of every modifier must become, and lists what differs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from recipe_studio.lint.engine import LintSettings, lint_recipe
from recipe_studio.read.recipe import ModifierEntry, Recipe

POSITIONS = {"start_epoch", "end_epoch", "freeze_bn_stats_epoch",
             "disable_quantization_observer_epoch"}


@dataclass
class Plan:
    """Where epochs go: `old` → `new` budget, optionally keeping the QAT tail from `qat`."""

    old: float
    new: float
    qat: float | None = None

    def phi(self, v: float) -> float:
        if self.qat is None:
            return v * self.new / self.old
        tail = self.old - self.qat
        q2 = self.new - tail
        return v * q2 / self.qat if v <= self.qat else v - self.qat + q2

    def stretch(self, start: float, end: float) -> float:
        s = max(start, 0.0)
        e = end if end > -1 else self.old
        if e > s:
            return (self.phi(e) - self.phi(s)) / (e - s)
        if self.qat is None:
            return self.new / self.old
        return (self.new - (self.old - self.qat)) / self.qat if s < self.qat else 1.0


def budget(recipe: Recipe) -> float:
    vals = []
    for m in recipe.modifiers:
        if m.spec is None:
            continue
        for v in (m.spec.effective_start_epoch, m.spec.effective_end_epoch):
            if v > -1:
                vals.append(v)
    return max(vals)


def close(a: Any, b: Any, tol: float = 1e-9) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        if tol >= 1:
            return abs(a - b) <= tol
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    return a == b


def _expected(entry: ModifierEntry, plan: Plan) -> dict[str, Any]:
    """field -> ("exact", value) | ("whole", exact value) | ("same", value)."""
    spec = entry.spec
    assert spec is not None
    model = type(spec)
    ignored = set(model.ignored_fields())
    epoch = set(model.epoch_fields()) - ignored
    start, end = spec.effective_start_epoch, spec.effective_end_epoch
    stretch = plan.stretch(start, end)
    acdc = entry.type == "ACDCPruningModifier"
    out: dict[str, Any] = {}
    for name, value in spec.args().items():
        if name in ignored:
            continue
        if name == "cycle_epochs" and getattr(spec, "lr_func", None) != "cyclic_linear" and \
                (name,) not in entry.fields:
            continue  # only cyclic_linear reads it; the default need not be written
        if name in epoch and isinstance(value, (int, float)) and not isinstance(value, bool):
            if name in POSITIONS:
                exp = value if value < 0 else plan.phi(value)
            else:
                exp = value if value <= 0 else value * stretch
            out[name] = ("whole" if acdc else "exact", exp)
        elif name == "update_epochs" and value:
            out[name] = ("exact", [plan.phi(v) for v in value])
        elif name == "lr_kwargs" and isinstance(value, dict):
            kw = dict(value)
            cls = spec.lr_class
            if cls == "StepLR" and "step_size" in kw:
                kw["step_size"] = kw["step_size"] * stretch
            if cls == "MultiStepLR" and "milestones" in kw:
                kw["milestones"] = [plan.phi(m) for m in kw["milestones"]]
            if cls == "ExponentialLR" and "gamma" in kw:
                kw["gamma"] = kw["gamma"] ** (1 / stretch)
            if cls == "CosineAnnealingWarmRestarts" and "cycle_epochs" in kw:
                out[name] = ("cawr", {**kw, "cycle_epochs": kw["cycle_epochs"] * stretch})
                continue
            out[name] = ("exact", kw)
        else:
            out[name] = ("same", value)
    return out


def field_problems(orig: Recipe, new: Recipe, plan: Plan,
                   explained: Iterable[str] = ()) -> list[str]:
    """Fields of `new` that are not `orig`'s scaled by `plan` (notes may explain some)."""
    notes = " ".join(explained)
    problems = []
    if len(orig.modifiers) != len(new.modifiers):
        return [f"{len(orig.modifiers)} modifiers became {len(new.modifiers)}"]
    for a, b in zip(orig.modifiers, new.modifiers):
        if a.spec is None:
            continue
        if b.spec is None or a.type != b.type:
            problems.append(f"modifier {a.index} ({a.type}) does not load after scaling")
            continue
        got = b.spec.args()
        for name, (how, exp) in _expected(a, plan).items():
            value = got.get(name)
            label = f"`{name}` of `!{a.type}` (line {b.fields[(name,)].value_span.line})" \
                if (name,) in b.fields else f"`{name}` of `!{a.type}`"
            if how == "same" or how == "exact":
                ok = close(value, exp)
            elif how == "whole":
                ok = float(value).is_integer() and abs(value - exp) <= 0.5
            else:  # cawr: cycle_epochs an int, the rest exact
                ok = isinstance(value.get("cycle_epochs"), int) and abs(
                    value["cycle_epochs"] - exp["cycle_epochs"]) <= 0.5 and close(
                    {k: v for k, v in value.items() if k != "cycle_epochs"},
                    {k: v for k, v in exp.items() if k != "cycle_epochs"})
            if not ok and not (label in notes and close(value, exp, tol=1.0)):
                # a deviation is allowed only when a note explains it, and by less than an
                # epoch (whole-number rounding)
                problems.append(f"{label}: expected {exp!r}, got {value!r}")
    return problems


def lint_codes(recipe: Recipe, ratio: float = 1.0) -> Counter[str]:
    """Lint codes with default settings, `no-recovery-epochs`' threshold (an absolute number
    of epochs) scaled by `ratio` like the recipe."""
    from recipe_studio.lint.config import LintConfig

    config = LintConfig(rule_options={"RS505": {"min_recovery_epochs": 1.0 * ratio}})
    return Counter(d.code for d in lint_recipe(recipe, LintSettings(config=config)))


def lint_worse(orig: Recipe, new: Recipe, ratio: float | None = None
               ) -> dict[str, tuple[int, int]]:
    """Codes that `new` (scaled by `ratio`) reports more often than `orig`."""
    if ratio is None:
        ratio = budget(new) / budget(orig)
    a, b = lint_codes(orig), lint_codes(new, ratio)
    return {c: (a[c], b[c]) for c in b if b[c] > a[c]}
