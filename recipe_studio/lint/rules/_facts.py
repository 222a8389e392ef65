"""Facts about modifier types and their fields that several rules share."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from typing import Any

from recipe_studio.read.recipe import ModifierEntry
from recipe_studio.lint.rules._base import RuleContext

#: gradual (GMP-schedule) pruners: sparsity ramps from init to final between start and end
GMP_TYPES = frozenset({
    "GMPruningModifier", "MagnitudePruningModifier", "GlobalMagnitudePruningModifier",
    "MovementPruningModifier", "StructuredPruningModifier", "MFACPruningModifier",
    "OBSPruningModifier",
})
#: every modifier that owns weight masks
MASK_PRUNERS = GMP_TYPES | {"ConstantPruningModifier", "ACDCPruningModifier",
                            "RigLPruningModifier", "TopKASTPruningModifier"}
LR_TYPES = frozenset({"SetLearningRateModifier", "LearningRateFunctionModifier",
                      "LearningRateModifier"})
QAT_TYPE = "QuantizationModifier"
ALL_TOKENS = ("__ALL__", "__ALL_PRUNABLE__")


def valid_of(ctx: RuleContext, types: frozenset[str] | set[str] | str) -> Iterator[ModifierEntry]:
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


@functools.lru_cache(maxsize=4096)  # rules compare every pair, the server on every edit
def selections_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two params selections can name a common parameter (without a model)."""
    token_a, lits_a, pats_a = _selection_parts(a)
    token_b, lits_b, pats_b = _selection_parts(b)
    if token_a or token_b:
        return True
    if lits_a & lits_b:
        return True
    for pats, lits in ((pats_a, lits_b), (pats_b, lits_a)):
        for p in pats:
            try:
                rx = re.compile(p[3:])
            except re.error:
                continue
            if any(rx.match(n) for n in lits):
                return True
    return not set(pats_a).isdisjoint(pats_b)


@functools.lru_cache(maxsize=1024)
def _selection_parts(sel: tuple[str, ...]) -> tuple[bool, frozenset[str], tuple[str, ...]]:
    """(names a token, its literal names, its `re:` patterns in order): rules compare every
    pair of pruners, so each selection is taken apart once."""
    return (any(t in ALL_TOKENS for t in sel),
            frozenset(x for x in sel if not x.startswith("re:")),
            tuple(x for x in sel if x.startswith("re:")))


def steps_grid(value: float, spe: int) -> bool:
    """True when an epoch value falls exactly on a step boundary."""
    x = value * spe
    return abs(x - round(x)) < 1e-9
