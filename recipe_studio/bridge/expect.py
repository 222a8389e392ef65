"""What a recipe should do to the model at the end of each epoch, computed without torch.

The training bridge compares what it measures on the model (the sparsity of every pruned
parameter, the learning rate) with this prediction after each epoch and reports any
difference as a warning. The prediction replays SparseML 1.8's update rules step by step
(sparseml-recipes.md §6–§7) with the shared formulas of
:mod:`recipe_studio.schedule.formulas`:

* GMP-family pruners (GMPruning, Magnitude, GlobalMagnitude, Movement) with unstructured
  masks: an update at the first step with `t >= start` (or the first step for -1), then
  whenever `t >= t_last + update_frequency` (SparseML's drift-prone comparison), and at the
  first step with `t >= end`; the target of the last update is held. Per-layer pruners zero
  `round(numel * target)` entries of each parameter, global ones `round(N * target)` over all
  their parameters together.
* Learning rate (param group 0): SetLearningRate once at its start step,
  LearningRateFunction (linear, cosine, cyclic_linear) at every step of its range, in
  SparseML's modifier order (end epoch ascending, never-ending last, then start epoch).

Anything else (LearningRateModifier's torch schedulers, structured or block masks, MFAC/OBS
scores) is reported as "not predicted" rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.models.catalog import RAMP_PRUNERS, UNSTRUCTURED_GMP
from recipe_studio.read.recipe import ModifierEntry, Recipe
from recipe_studio.schedule.formulas import gmp_target, lr_function_value, step_epoch

#: pruners whose mask size follows the GMP target exactly: the GMP family without
#: Structured pruning (whose filter/channel masks remove whole rows, so the zeros are not
#: the target times the size); the catalogue's UNSTRUCTURED_GMP
PREDICTED_PRUNERS = UNSTRUCTURED_GMP
#: every mask-based pruner SparseML exposes `module_masks` for (measured, maybe not predicted)
MASK_PRUNERS = RAMP_PRUNERS.plus("RigLPruningModifier", "ConstantPruningModifier",
                                 "ACDCPruningModifier", "TopKASTPruningModifier",
                                 "LayerPruningModifier")
FROM_PARAM = "__FROM_PARAM__"


@dataclass(frozen=True)
class PrunerPlan:
    """One pruning modifier of the finalized recipe, as the prediction needs it."""

    index: int
    type: str
    start: float
    end: float
    update_frequency: float
    init_sparsity: float | str
    #: a float, or SparseML's `{sparsity: [names or re: patterns]}` mapping
    final_sparsity: float | dict[float, list[str]]
    inter_func: str
    global_sparsity: bool
    leave_enabled: bool
    params: Any
    #: why the mask size is not predicted (None: it is)
    unpredicted: str | None = None

    def final_for(self, name: str) -> float | None:
        """The final sparsity SparseML gives parameter `name` (first mapping entry naming it)."""
        if not isinstance(self.final_sparsity, dict):
            return float(self.final_sparsity)
        for sparsity, patterns in self.final_sparsity.items():
            if any(_name_matches(name, p) for p in patterns):
                return float(sparsity)
        return None

    def target(self, t: float, name: str, init_measured: float | None = None) -> float | None:
        """The sparsity an update at epoch `t` gives parameter `name`."""
        final = self.final_for(name)
        if final is None:
            return None
        if self.init_sparsity == FROM_PARAM:
            if init_measured is None:
                return None
            init = init_measured
        else:
            init = float(self.init_sparsity)
        return gmp_target(t, self.start, self.end, init, final, self.inter_func)


@dataclass(frozen=True)
class PrunerState:
    """Where a pruner stands after the last step of an epoch."""

    plan: PrunerPlan
    #: epoch of the last mask update so far (None: not started)
    update_epoch: float | None
    ended: bool

    @property
    def started(self) -> bool:
        return self.update_epoch is not None

    @property
    def released(self) -> bool:
        """Masks removed at the end (`leave_enabled: false`): weights regrow afterwards."""
        return self.ended and not self.plan.leave_enabled


@dataclass(frozen=True)
class EpochExpectation:
    """The prediction for the end of one epoch."""

    epoch: int
    #: learning rate of param group 0 (None: not predicted)
    lr: float | None
    lr_note: str | None
    pruners: tuple[PrunerState, ...] = field(default_factory=tuple)

    def pruner(self, index: int) -> PrunerState | None:
        for p in self.pruners:
            if p.plan.index == index:
                return p
        return None


def _name_matches(name: str, pattern: str) -> bool:
    # SparseML's validate_str_iterable / get_named_layers_and_params_by_regex: `re:` patterns
    # are re.match()ed from the start, plain names must be equal
    if isinstance(pattern, str) and pattern.startswith("re:"):
        return re.match(pattern[3:], name) is not None
    return name == pattern


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def pruner_plans(recipe: Recipe) -> list[PrunerPlan]:
    """Every mask-based pruner of the (valid) recipe, in document order."""
    plans = []
    for entry in recipe.modifiers:
        if entry.type not in MASK_PRUNERS or entry.spec is None:
            continue
        plans.append(_plan(entry))
    return plans


def _plan(entry: ModifierEntry) -> PrunerPlan:
    spec = entry.spec
    get = lambda name, default=None: getattr(spec, name, entry.args.get(name, default))  # noqa: E731
    unpredicted = None
    mask_type = get("mask_type", "unstructured")
    if entry.type not in PREDICTED_PRUNERS:
        unpredicted = f"`!{entry.type}` masks are not predicted"
    elif mask_type not in ("unstructured", None):
        unpredicted = f"`mask_type: {mask_type}` masks are not predicted"
    final = get("final_sparsity", 0.0)
    if isinstance(final, dict):
        final = {float(k): list(v) for k, v in final.items()}
    return PrunerPlan(
        index=entry.index, type=entry.type,
        start=_float(get("start_epoch", -1.0), -1.0),
        end=_float(spec.effective_end_epoch if spec is not None else -1.0, -1.0),
        update_frequency=_float(get("update_frequency", -1.0), -1.0),
        init_sparsity=get("init_sparsity", 0.0),
        final_sparsity=final,
        inter_func=str(get("inter_func", "cubic") or "cubic"),
        global_sparsity=(entry.type == "GlobalMagnitudePruningModifier"
                         or bool(get("global_sparsity", False))),
        leave_enabled=bool(get("leave_enabled", True)),
        params=get("params"),
        unpredicted=unpredicted,
    )


@dataclass
class _LrPlan:
    type: str
    start: float
    end: float
    args: dict[str, Any]


def _lr_plans(recipe: Recipe) -> tuple[list[_LrPlan], str | None]:
    plans: list[_LrPlan] = []
    note = None
    for entry in recipe.modifiers:
        spec = entry.spec
        if spec is None or getattr(spec, "family", None) != "learning_rate":
            continue
        groups = entry.args.get("param_groups")
        if groups is not None and 0 not in list(groups):
            continue
        if entry.type not in ("SetLearningRateModifier", "LearningRateFunctionModifier"):
            note = f"`!{entry.type}` learning rates are not predicted"
            continue
        plans.append(_LrPlan(entry.type, spec.effective_start_epoch, spec.effective_end_epoch,
                             dict(entry.args)))
    # SparseML's modifier order within a step (§7.4): end ascending with -1 last, then
    # start ascending (ties are broken by a hash of the fields, which is not modelled)
    plans.sort(key=lambda p: (p.end == -1.0, p.end, p.start))
    return plans, note


class ScheduleSimulation:
    """Replays a finalized recipe's pruning and learning-rate updates step by step.

    Args:
        recipe: the loaded (valid) recipe.
        steps_per_epoch: optimizer steps per epoch, as given to SparseML.
        base_lr: the optimizer's learning rate before any LR modifier acts.
    """

    def __init__(self, recipe: Recipe, steps_per_epoch: int, *, base_lr: float | None = None):
        if steps_per_epoch <= 0:
            raise ValueError("steps_per_epoch must be positive")
        self.spe = int(steps_per_epoch)
        self.pruners = pruner_plans(recipe)
        self._lr_plans, self.lr_note = _lr_plans(recipe)
        self._base_lr = base_lr
        # incremental walk state
        self._step = 0
        self._lr = base_lr
        self._lr_started = [False] * len(self._lr_plans)
        self._lr_ended = [False] * len(self._lr_plans)
        self._p_last: list[float | None] = [None] * len(self.pruners)
        self._p_ended = [False] * len(self.pruners)
        self._cache: dict[int, EpochExpectation] = {}

    def at_epoch_end(self, epoch: int) -> EpochExpectation:
        """The state after the last step of (0-based) `epoch`."""
        if epoch < 0:
            raise ValueError("epoch must be >= 0")
        while epoch not in self._cache:
            self._advance(self._step)
            self._step += 1
            if self._step % self.spe == 0:
                done = self._step // self.spe - 1
                self._cache[done] = EpochExpectation(
                    epoch=done, lr=self._lr, lr_note=self.lr_note,
                    pruners=tuple(PrunerState(p, self._p_last[i], self._p_ended[i])
                                  for i, p in enumerate(self.pruners)))
        return self._cache[epoch]

    def _advance(self, k: int) -> None:
        t = step_epoch(k, self.spe)
        for i, p in enumerate(self.pruners):
            if self._p_ended[i]:
                continue
            started = self._p_last[i] is not None
            update = False
            if not started and (t >= p.start >= 0.0 or p.start == -1.0):
                update = True
            elif started and t > p.start and (
                    p.update_frequency == -1.0 or t >= self._p_last[i] + p.update_frequency):
                update = True
            end_now = (started or update) and t >= p.end >= 0.0
            if update or end_now:
                self._p_last[i] = t
            if end_now:
                self._p_ended[i] = True
        for j, lp in enumerate(self._lr_plans):
            if self._lr_ended[j]:
                continue
            start_now = not self._lr_started[j] and (t >= lp.start >= 0.0 or lp.start == -1.0)
            if lp.type == "SetLearningRateModifier":
                if start_now:
                    self._lr = float(lp.args["learning_rate"])
                    self._lr_started[j] = True
                    self._lr_ended[j] = True
                continue
            if start_now:
                self._lr_started[j] = True
            if not self._lr_started[j]:
                continue
            a = lp.args
            self._lr = lr_function_value(
                str(a["lr_func"]), t, lp.start, lp.end, float(a["init_lr"]),
                float(a["final_lr"]), float(a.get("cycle_epochs", 1.0)), self.spe)
            if t >= lp.end >= 0.0:
                self._lr_ended[j] = True


def expected_zeros(plan: PrunerPlan, state: PrunerState, names: Sequence[str],
                   numels: Sequence[int],
                   init_measured: Iterable[float] | None = None) -> list[int] | int | None:
    """How many entries SparseML's masks zero after the epoch `state` describes.

    A list (one count per parameter) for per-layer pruners, one total for global ones,
    None when not predicted (not started, released, or a pruner this module does not model).
    """
    if plan.unpredicted or not state.started or state.released:
        return None
    inits = list(init_measured) if init_measured is not None else [None] * len(names)
    targets = []
    for name, init in zip(names, inits):
        target = plan.target(state.update_epoch, name, init)  # type: ignore[arg-type]
        if target is None:
            return None
        targets.append(target)
    if plan.global_sparsity:
        if len(set(targets)) != 1:
            return None
        return round(sum(numels) * targets[0])
    return [round(n * t) for n, t in zip(numels, targets)]
