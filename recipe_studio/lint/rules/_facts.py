"""Facts about modifier types and their fields that several rules share."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

from recipe_studio.models.catalog import LEARNING_RATE, RAMP_PRUNERS
from recipe_studio.read.recipe import ModifierEntry
from recipe_studio.lint.rules._base import RuleContext

#: gradual (GMP-schedule) pruners: sparsity ramps from init to final between start and end
#: (the catalogue's RAMP_PRUNERS: the GMP family, MFAC and OBS)
GMP_TYPES = RAMP_PRUNERS
#: every modifier that owns weight masks (not LayerPruning: it replaces whole modules,
#: named by `layers`, and has no mask; sparseml-recipes.md §5.5)
MASK_PRUNERS = RAMP_PRUNERS.plus("ConstantPruningModifier", "ACDCPruningModifier",
                                 "RigLPruningModifier", "TopKASTPruningModifier")
LR_TYPES = LEARNING_RATE
QAT_TYPE = "QuantizationModifier"
ALL_TOKENS = ("__ALL__", "__ALL_PRUNABLE__")


def valid_of(ctx: RuleContext, types: AbstractSet[str] | str) -> Iterator[ModifierEntry]:
    wanted = {types} if isinstance(types, str) else types
    for m in ctx.valid():
        if m.type in wanted:
            yield m


def attr(entry: ModifierEntry, name: str, default: Any = None) -> Any:
    """A field of the modifier (or of its partial view); `default` only for fields its
    class does not have (a field the partial view lacks raises UnknownFieldValue)."""
    return getattr(entry.view, name, default)


def start(entry: ModifierEntry) -> float:
    return float(entry.view.effective_start_epoch)  # type: ignore[union-attr]


def end(entry: ModifierEntry) -> float:
    return float(entry.view.effective_end_epoch)  # type: ignore[union-attr]


def first_epoch(entry: ModifierEntry) -> float:
    s = start(entry)
    return 0.0 if s == -1 else s


def is_float(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def param_selection(entry: ModifierEntry) -> tuple[str, ...]:
    """The `params` of a pruner as a tuple; tokens upper-cased; `[]`/null = all prunable."""
    value = attr(entry, "params")
    final = attr(entry, "final_sparsity")
    if isinstance(final, dict):  # dict form: params are the dict's lists
        names: list[str] = []
        for group in final.values():
            names.extend(str(p) for p in (group if isinstance(group, list) else [group]))
        return tuple(names)
    if value is None or value == [] or value == "":
        return ("__ALL_PRUNABLE__",)
    if isinstance(value, str):
        return (value.upper(),)
    return tuple(str(v) for v in value)


def selections_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two params selections can name a common parameter (without a model)."""
    if any(t in ALL_TOKENS for t in a + b):
        return True
    lits_a = {x for x in a if not x.startswith("re:")}
    lits_b = {x for x in b if not x.startswith("re:")}
    if lits_a & lits_b:
        return True
    for pats, lits in ((a, lits_b), (b, lits_a)):
        for p in pats:
            if p.startswith("re:"):
                try:
                    rx = re.compile(p[3:])
                except re.error:
                    continue
                if any(rx.match(n) for n in lits):
                    return True
    return set(x for x in a if x.startswith("re:")) & set(x for x in b if x.startswith("re:")) \
        != set()


def steps_grid(value: float, spe: int) -> bool:
    """True when an epoch value falls exactly on a step boundary."""
    x = value * spe
    return abs(x - round(x)) < 1e-9
