"""Facts about modifier types and their fields that several rules share."""

from __future__ import annotations

import functools
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
    if isinstance(types, str):
        return (m for m in ctx.valid() if m.type == types)
    return iter(ctx.valid_of(types))


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
    token_a, lits_a, pats_a = selection_parts(a)
    token_b, lits_b, pats_b = selection_parts(b)
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
def selection_parts(sel: tuple[str, ...]) -> tuple[bool, frozenset[str], tuple[str, ...]]:
    """(names a token, its literal names, its `re:` patterns in order): rules compare every
    pair of pruners, so each selection is taken apart once."""
    return (any(t in ALL_TOKENS for t in sel),
            frozenset(x for x in sel if not x.startswith("re:")),
            tuple(x for x in sel if x.startswith("re:")))


def steps_grid(value: float, spe: int) -> bool:
    """True when an epoch value falls exactly on a step boundary."""
    x = value * spe
    return abs(x - round(x)) < 1e-9


# -- masks: shared by the pruning rules and the quantization rules ------------------------

def covered_after(ctx: RuleContext, entry: ModifierEntry, at: float) -> bool:
    """Another pruner keeps masks on `entry`'s params from `at` to the end of training."""
    train_end = ctx.timeline.training_end
    mine = param_selection(entry)
    for other in valid_of(ctx, MASK_PRUNERS):
        if other is entry:
            continue
        e = end(other)
        if other.type != "ConstantPruningModifier" and not attr(other, "leave_enabled", True):
            continue
        lasts = e == -1 or e >= train_end or (other.type != "ConstantPruningModifier")
        if first_epoch(other) <= at + 1e-9 and lasts and \
                selections_overlap(mine, param_selection(other)):
            return True
    return False


def qat_start(ctx: RuleContext) -> tuple[ModifierEntry, float] | None:
    """The QAT modifier that starts first and its first epoch, or None without QAT."""
    qats = list(valid_of(ctx, QAT_TYPE))
    if not qats:
        return None
    q = min(qats, key=first_epoch)
    return q, first_epoch(q)


# -- learning-rate modifiers ----------------------------------------------------------------

def lr_param_groups(entry: ModifierEntry) -> set[int] | None:
    """Param groups a learning-rate modifier writes (None = all). LearningRateModifier
    writes all."""
    if entry.type == "LearningRateModifier":
        return None
    g = attr(entry, "param_groups")
    if not g or not isinstance(g, (list, tuple)):  # unchecked at load: anything may be here
        return None
    return {int(x) for x in g if isinstance(x, int)}


def share_param_groups(a: ModifierEntry, b: ModifierEntry) -> bool:
    """Two learning-rate modifiers write at least one common param group."""
    ga, gb = lr_param_groups(a), lr_param_groups(b)
    return ga is None or gb is None or bool(ga & gb)
