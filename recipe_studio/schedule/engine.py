"""The schedule engine: what SparseML 1.8 does with a recipe, step by step, without torch.

:func:`simulate` walks the optimizer steps of the training range exactly as SparseML's
`RecipeManagerStepWrapper` does (sparseml-recipes.md §7.1): before step `k` the manager
updates every modifier, in its own order (§7.4), at epoch
``t_k = float(k // spe) + float(k % spe) / float(spe)``. Each modifier is a small state
machine that mirrors its SparseML class — the `start_pending`/`end_pending`/`update_ready`
tests, the `update_frequency` bookkeeping (including the floating-point drift that skips an
update), `leave_enabled`, and for the learning-rate schedulers the torch scheduler's own step
counting — so the values agree with SparseML bit for bit (a test drives SparseML's real
manager to check it).

What is computed, per optimizer step:

* the sparsity target each pruning modifier applies (GMP family, MFAC, OBS: the §6.1 ramp
  with its update timing; ACDC: its dense/sparse phases; RigL and TopKAST: their constant
  targets; ConstantPruning: it keeps the zeros it finds, shown as the sparsity an earlier
  pruner of the same parameters left, when there is one), and whether its mask is applied;
* the learning rate of the optimizer's first param group (SetLearningRate,
  LearningRateFunction, LearningRate with StepLR/MultiStepLR/ExponentialLR/
  CosineAnnealingWarmRestarts), `None` until a modifier first writes it;
* the weight decay (SetWeightDecay), `None` until first written;
* QAT events (start, BN statistics frozen, observers disabled).

Where SparseML would crash in the middle of training (a zero-length pruning window, an
`inverse_cubic` end between steps, one-step `cyclic_linear` cycles, a StepLR step size of 0
steps, bad milestones), the modifier gets a :class:`ModifierCrash` with a clear message and
stops; the others keep going so the rest of the picture is still shown.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.models.base import ALL_PRUNABLE_TOKEN, FROM_PARAM_TOKEN
from recipe_studio.read.recipe import ModifierEntry, Recipe
from recipe_studio.schedule.formulas import (
    EPS, cosine_warm_restarts, interpolate_value, lr_function_value, step_epoch,
)
from recipe_studio.schedule.order import manager_order
from recipe_studio.schedule.timeline import timeline

#: default limit on the number of simulated steps (epochs x steps per epoch)
MAX_STEPS = 2_000_000

#: pruners whose target follows the §6.1 ramp
GMP_FAMILY = ("GMPruningModifier", "MagnitudePruningModifier", "GlobalMagnitudePruningModifier",
              "MovementPruningModifier", "StructuredPruningModifier")
GRADUAL_PRUNERS = GMP_FAMILY + ("MFACPruningModifier", "OBSPruningModifier")
LR_TYPES = ("SetLearningRateModifier", "LearningRateFunctionModifier", "LearningRateModifier")
QAT_TYPES = ("QuantizationModifier",)

Target = float | tuple[float, ...] | None


class ScheduleTooLong(ValueError):
    """The training range has more steps than the engine was allowed to simulate."""


# ---- results ---------------------------------------------------------------------------

class Series:
    """A per-step value, stored as the steps where it changes (`None` before the first)."""

    __slots__ = ("steps", "values", "length", "default")

    def __init__(self, length: int = 0, default: Any = None):
        self.steps: list[int] = []
        self.values: list[Any] = []
        self.length = length
        #: the value before the first change
        self.default = default

    def set(self, k: int, value: Any) -> None:
        """Record the value in force at step `k` (steps must be given in order)."""
        last = self.values[-1] if self.values else self.default
        if last is value or (last is not None and value is not None and last == value
                             and type(last) is type(value)):
            return
        self.steps.append(k)
        self.values.append(value)

    def at(self, k: int) -> Any:
        """The value in force at step `k`."""
        i = bisect.bisect_right(self.steps, k) - 1
        return self.values[i] if i >= 0 else self.default

    def __iter__(self) -> Iterator[Any]:
        """Every step's value, in order."""
        value: Any = self.default
        j = 0
        n = len(self.steps)
        for k in range(self.length):
            while j < n and self.steps[j] <= k:
                value = self.values[j]
                j += 1
            yield value

    def __len__(self) -> int:
        return self.length

    def changes(self) -> list[tuple[int, Any]]:
        """(step, new value) for every change."""
        return list(zip(self.steps, self.values))

    @property
    def last(self) -> Any:
        return self.values[-1] if self.values else self.default


@dataclass(frozen=True)
class ModifierCrash:
    """Where SparseML would raise while training, because of this modifier."""

    index: int
    type: str
    line: int
    step: int
    epoch: float
    #: the exception SparseML raises (`ZeroDivisionError`, ...)
    exception: str
    message: str


@dataclass(frozen=True)
class Event:
    """Something a modifier does at one step."""

    step: int
    epoch: float
    #: start, end, update, lr, weight_decay, mask_released, dense, sparse, qat_start,
    #: bn_freeze, observers_disabled
    kind: str
    value: Any = None


@dataclass
class ModifierTrack:
    """One modifier over the simulated range."""

    index: int
    type: str
    line: int
    family: str
    stage: str | None
    #: the start/end SparseML uses (-1 sentinels kept; forced -1 where the class forces it)
    start_epoch: float
    end_epoch: float
    #: position in SparseML's update order
    order: int = 0
    #: step of the start/end update (None: not within the simulated range, or never)
    start_step: int | None = None
    end_step: int | None = None
    #: steps at which `update()` ran
    updates: list[int] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    crash: ModifierCrash | None = None
    #: pruners: SparseML's applied target (`_applied_sparsity`; per group for a mapping)
    target: Series | None = None
    #: pruners: whether the modifier's mask is applied at the step
    mask: Series | None = None
    #: pruners: the sparsity the modifier holds at the step (None when no mask of it applies)
    sparsity: Series | None = None
    notes: list[str] = field(default_factory=list)
    #: ConstantPruning: the pruner whose sparsity it holds
    holds_from: int | None = None

    @property
    def never_starts(self) -> bool:
        return -1 < self.start_epoch < 0

    @property
    def first_epoch(self) -> float:
        return 0.0 if self.start_epoch == -1 else self.start_epoch

    def last_epoch(self, total: float) -> float:
        return total if self.end_epoch == -1 else self.end_epoch

    def event(self, kind: str) -> Event | None:
        return next((e for e in self.events if e.kind == kind), None)


@dataclass(frozen=True)
class Phase:
    """A named stretch of training (pruning, recovery, QAT, ...), in epochs."""

    name: str
    start: float
    end: float


@dataclass
class Schedule:
    """What SparseML does with a recipe over its training range."""

    steps_per_epoch: int
    #: the training range in epochs (SparseML's `max_epochs`, at least 1)
    total_epochs: int
    n_steps: int
    max_epochs: int
    min_epochs: int
    #: the EpochRangeModifier end, if any
    declared_end: float | None
    #: valid modifiers, in document order
    tracks: list[ModifierTrack]
    #: modifier indices in SparseML's update order
    order: list[int]
    #: learning rate of param group 0 (None until a modifier writes it)
    lr: Series
    #: weight decay of param group 0 (None until a modifier writes it)
    weight_decay: Series
    crashes: list[ModifierCrash] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: learning rate per param group, for group 0 and every group a `param_groups` names
    lr_groups: dict[int, Series] = field(default_factory=dict)
    weight_decay_groups: dict[int, Series] = field(default_factory=dict)

    def epoch(self, k: int) -> float:
        """Epoch of step `k`."""
        return step_epoch(k, self.steps_per_epoch)

    def track(self, index: int) -> ModifierTrack:
        return next(t for t in self.tracks if t.index == index)

    @property
    def pruning(self) -> list[ModifierTrack]:
        """Tracks with a sparsity series, in document order."""
        return [t for t in self.tracks if t.sparsity is not None]

    @property
    def qat(self) -> list[ModifierTrack]:
        return [t for t in self.tracks if t.type in QAT_TYPES]

    def final_sparsity(self, index: int) -> Target:
        """The sparsity modifier `index` holds at the last step."""
        track = self.track(index)
        return track.sparsity.at(self.n_steps - 1) if track.sparsity and self.n_steps else None

    def lr_at(self, epoch: float) -> float | None:
        """The learning rate in force at the first step at or after `epoch`."""
        k = first_step_at(epoch, self.steps_per_epoch)
        return self.lr.at(min(k, self.n_steps - 1)) if self.n_steps else None

    def phases(self) -> list[Phase]:
        """Named phases: dense, pruning, recovery, QAT (only those present)."""
        total = float(self.total_epochs)
        pruners = [t for t in self.tracks
                   if t.type in GRADUAL_PRUNERS + ("ACDCPruningModifier",) and not t.never_starts]
        qat_starts = [t.first_epoch for t in self.qat if not t.never_starts]
        qat = min(qat_starts) if qat_starts else None
        out: list[Phase] = []
        if pruners:
            p0 = min(t.first_epoch for t in pruners)
            p1 = max(t.last_epoch(total) for t in pruners)
            p1 = min(p1, total)
            if p0 > 0:
                out.append(Phase("dense", 0.0, min(p0, qat if qat is not None else total)))
            out.append(Phase("pruning", p0, p1))
            rec_end = qat if qat is not None and qat > p1 else total
            if rec_end > p1:
                out.append(Phase("recovery", p1, rec_end))
        elif qat is not None and qat > 0:
            out.append(Phase("training", 0.0, min(qat, total)))
        if qat is not None and qat < total:
            out.append(Phase("QAT", qat, total))
        return [p for p in out if p.end > p.start or p.name == "pruning"]


def first_step_at(epoch: float, spe: int) -> int:
    """The first step `k` with `t_k >= epoch` (exact float comparison, like SparseML)."""
    if epoch <= 0:
        return 0
    k = max(int(math.floor(epoch * spe)) - 2, 0)
    while step_epoch(k, spe) < epoch:
        k += 1
    return k


# ---- the modifier state machines --------------------------------------------------------

class _Optimizer:
    """The state LR and weight-decay modifiers write, for the param groups the recipe
    names (group 0 and every index in a `param_groups` list)."""

    def __init__(self, groups: list[int]) -> None:
        self.groups = groups
        self.lr: dict[int, Any] = {g: None for g in groups}
        #: torch's `initial_lr`, set (per group) by the first scheduler built
        self.initial_lr: dict[int, Any] = {g: None for g in groups}
        self.weight_decay: dict[int, Any] = {g: None for g in groups}

    def selected(self, param_groups: Any) -> list[int]:
        """Groups a `param_groups` value selects (all when null or empty)."""
        if not param_groups:
            return self.groups
        return [g for g in self.groups if g in param_groups]

    def set_lr(self, value: Any, param_groups: Any = None) -> None:
        for g in self.selected(param_groups):
            self.lr[g] = value


class _Crash(Exception):
    def __init__(self, exception: str, message: str):
        super().__init__(message)
        self.exception = exception
        self.message = message


class _Scheduled:
    """sparseml ScheduledModifier: start/end on the first step at/after the epoch."""

    is_update = False

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        self.entry = entry
        self.track = track
        self.spe = spe
        self.start = track.start_epoch
        self.end = track.end_epoch
        self.started = False
        self.ended = False
        self.dead = False

    def start_pending(self, t: float) -> bool:
        return (not self.started and not self.ended
                and (t >= self.start >= 0.0 or self.start == -1.0))

    def end_pending(self, t: float) -> bool:
        return not self.ended and self.started and t >= self.end >= 0.0

    def update_ready(self, t: float) -> bool:
        return self.start_pending(t) or self.end_pending(t)

    def initialize(self, opt: _Optimizer) -> None:
        """`initialize()` at epoch 0, before the first step."""

    def scheduled_update(self, t: float, k: int, opt: _Optimizer) -> None:
        self.update(t, k, opt)
        if self.start_pending(t):
            self.started = True
            self.track.start_step = k
            self.track.events.append(Event(k, t, "start"))
        if self.end_pending(t):
            self.ended = True
            self.track.end_step = k
            self.track.events.append(Event(k, t, "end"))

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        pass

    @property
    def idle(self) -> bool:
        """True when it will never update again."""
        if self.dead or self.ended or -1 < self.start < 0:
            return True
        return self.started and self.end < 0 and not self.is_update

    def record(self, k: int) -> None:
        """Store this step's values in the track."""


class _ScheduledUpdate(_Scheduled):
    """sparseml ScheduledUpdateModifier: also updates every `update_frequency` epochs."""

    is_update = True

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int,
                 update_frequency: float = -1.0):
        super().__init__(entry, track, spe)
        self.freq = update_frequency
        self.last_update = -1.0

    def update_ready(self, t: float) -> bool:
        if self.start_pending(t) or self.end_pending(t):
            return True
        return (self.started and t > self.start and not self.ended
                and (self.freq == -1.0
                     or (self.last_update >= 0.0 and t >= self.last_update + self.freq)))

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        self.last_update = t


class _Pruner(_ScheduledUpdate):
    """BasePruningModifier: a mask enabled at the start update, a target at every update,
    released at the end update unless `leave_enabled`."""

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int,
                 update_frequency: float, leave_enabled: bool):
        super().__init__(entry, track, spe, update_frequency)
        self.leave_enabled = leave_enabled
        self.mask = False
        self.applied: Target = None
        self.k = -1
        track.target = Series()
        track.mask = Series(default=False)
        track.sparsity = Series()

    def target(self, t: float) -> Target:
        raise NotImplementedError

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        super().update(t, k, opt)
        self.k = k
        self.track.updates.append(k)
        self.check_mask_update(t, k)

    def check_mask_update(self, t: float, k: int) -> None:
        started = self.started
        if self.start_pending(t):
            self.mask = True
            started = True
        if started:
            self.applied = self.target(t)
        # inside update() `started` is still False at the start step, so a modifier that
        # starts and ends on the same step keeps its mask (SparseML's check_mask_update)
        if self.end_pending(t) and not self.leave_enabled:
            self.mask = False
            self.track.events.append(Event(k, t, "mask_released"))

    def record(self, k: int) -> None:
        assert self.track.target is not None and self.track.mask is not None
        assert self.track.sparsity is not None
        self.track.target.set(k, self.applied)
        self.track.mask.set(k, self.mask)
        self.track.sparsity.set(k, self.applied if self.mask else None)


class _Gradual(_Pruner):
    """BaseGradualPruningModifier (GMP family, MFAC, OBS): the §6.1 ramp."""

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        spec = entry.spec
        super().__init__(entry, track, spe, float(getattr(spec, "update_frequency")),
                         bool(getattr(spec, "leave_enabled", True)))
        self.func = str(getattr(spec, "inter_func", "cubic"))
        init = getattr(spec, "init_sparsity")
        final = getattr(spec, "final_sparsity")
        if isinstance(init, str) and init == FROM_PARAM_TOKEN:
            track.notes.append("`init_sparsity: __FROM_PARAM__` starts from each tensor's "
                               "sparsity at modify time; shown for a dense model (0.0)")
            init = 0.0
        self.init = init
        if isinstance(final, dict):
            self.finals: tuple[Any, ...] | None = tuple(final)
            track.notes.append("`final_sparsity` is a mapping: one target per group of "
                               "params (" + ", ".join(f"{s:g}" for s in final) + ")")
        elif isinstance(final, list):
            self.finals = tuple(final)
        else:
            self.finals = None
        self.final = final
        # MFAC and OBS skip every mask update unless run one-shot when steps_per_epoch == 1
        self.noop = entry.type in ("MFACPruningModifier", "OBSPruningModifier") and spe == 1
        if self.noop:
            track.notes.append(f"{entry.type} does nothing during training with 1 step per "
                               "epoch (it only prunes one-shot or with more steps)")

    def target(self, t: float) -> Target:
        try:
            if self.finals is None:
                return interpolate_value(t, self.start, self.end, self.init, self.final,
                                         self.func)
            return tuple(interpolate_value(t, self.start, self.end, self.init, f, self.func)
                         for f in self.finals)
        except ZeroDivisionError:
            raise _Crash("ZeroDivisionError",
                         f"`start_epoch` and `end_epoch` are both {_e(self.start)}: the sparsity "
                         "ramp divides by `end_epoch - start_epoch` at its first update"
                         ) from None
        except TypeError:
            raise _Crash("TypeError",
                         f"`end_epoch` {_e(self.end)} falls between steps ({self.spe} per "
                         f"epoch): the end update at epoch {_e(t)} is past `end_epoch` and "
                         "`inverse_cubic` of a negative number is complex "
                         "('<=' not supported between 'complex' and 'float')") from None

    def check_mask_update(self, t: float, k: int) -> None:
        if self.noop:
            return
        super().check_mask_update(t, k)


class _Constant(_Pruner):
    """ConstantPruningModifier: keeps the zeros present at its start (no numeric target);
    the mask is always released at the end."""

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe, -1.0, False)

    def target(self, t: float) -> Target:
        return None

    def record(self, k: int) -> None:
        assert self.track.target is not None and self.track.mask is not None
        self.track.target.set(k, None)
        self.track.mask.set(k, self.mask)


class _ACDC(_Pruner):
    """ACDCPruningModifier: dense (0.0) and compressed phases of `update_frequency` epochs."""

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        spec = entry.spec
        super().__init__(entry, track, spe, getattr(spec, "update_frequency"),
                         bool(getattr(spec, "leave_enabled", True)))
        self.compression = getattr(spec, "compression_sparsity")
        self.phase: float | None = None

    def target(self, t: float) -> Target:
        try:
            phase = math.floor((t - self.start) / self.freq)
        except ZeroDivisionError:
            raise _Crash("ZeroDivisionError", "`update_frequency` 0 gives zero-length "
                                              "phases (division by zero)") from None
        if phase % 2 == 0 and self.end - self.freq > t:
            value: Any = 0.0
        else:
            value = self.compression
        if value != self.phase:
            self.track.events.append(Event(self.k, t, "dense" if value == 0.0 else "sparse",
                                           value))
        self.phase = value
        return value


class _Fixed(_Pruner):
    """RigL (keeps `final_sparsity`, regrowing connections) and TopKAST
    (`forward_sparsity`)."""

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int, value: Any):
        spec = entry.spec
        super().__init__(entry, track, spe, getattr(spec, "update_frequency"),
                         bool(getattr(spec, "leave_enabled", True)))
        if isinstance(value, dict):
            value = tuple(value)
        self.value = value

    def target(self, t: float) -> Target:
        return self.value


class _SetLR(_Scheduled):
    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe)
        self.lr = float(getattr(entry.spec, "learning_rate"))
        self.groups = getattr(entry.spec, "param_groups", None)
        self.lr_set = False

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        if (self.start < 0.0 or (self.start - t) < EPS) and not self.lr_set:
            opt.set_lr(self.lr, self.groups)
            self.track.events.append(Event(k, t, "lr", self.lr))
            self.lr_set = True


class _LRFunction(_ScheduledUpdate):
    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe, -1.0)
        spec = entry.spec
        self.func = str(getattr(spec, "lr_func"))
        self.init = getattr(spec, "init_lr")
        self.final = getattr(spec, "final_lr")
        self.cycle = getattr(spec, "cycle_epochs", 1.0)
        self.groups = getattr(spec, "param_groups", None)

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        super().update(t, k, opt)
        try:
            lr = lr_function_value(self.func, t, self.start, self.end, self.init, self.final,
                                   self.cycle, self.spe)
        except ZeroDivisionError:
            if self.func == "cyclic_linear":
                raise _Crash("ZeroDivisionError",
                             f"`cycle_epochs` {_e(self.cycle)} with {_steps(self.spe)} per epoch "
                             "gives a cycle of one step (or none): `cyclic_linear` divides by "
                             "(cycle steps - 1)") from None
            raise _Crash("ZeroDivisionError",
                         f"`end_epoch` {_e(self.end)} with `start_epoch` {_e(self.start)}: "
                         f"`{self.func}` divides by `end_epoch - max(start_epoch, 0)`, which "
                         "is 0") from None
        except TypeError as e:
            raise _Crash("TypeError", f"`cycle_epochs` {self.cycle!r} is not a number ({e})") \
                from None
        opt.set_lr(lr, self.groups)


class _TorchScheduler:
    """torch's StepLR / MultiStepLR (chainable form) over every param group."""

    def __init__(self, kind: str, kwargs: dict[str, Any], opt: _Optimizer):
        self.kind = kind
        self.kwargs = kwargs
        self.opt = opt
        for g in opt.groups:  # group.setdefault("initial_lr", group["lr"])
            if opt.initial_lr[g] is None:
                opt.initial_lr[g] = opt.lr[g]
        self.last_epoch = -1
        self.step()  # _initial_step

    def step(self) -> None:
        self.last_epoch += 1
        opt = self.opt
        if self.kind == "StepLR":
            size = self.kwargs["step_size"]
            if self.last_epoch == 0 or self.last_epoch % size != 0:
                return
            for g in opt.groups:
                opt.lr[g] = opt.lr[g] * self.kwargs.get("gamma", 0.1)
        else:
            milestones: dict[int, int] = self.kwargs["milestones"]
            if self.last_epoch not in milestones:
                return
            for g in opt.groups:
                opt.lr[g] = opt.lr[g] * self.kwargs.get("gamma", 0.1) ** \
                    milestones[self.last_epoch]


_TORCH_KWARGS = {
    "StepLR": ("step_size", "gamma"),
    "MultiStepLR": ("milestones", "gamma"),
    "CosineAnnealingWarmRestarts": ("T_0", "T_mult", "eta_min"),
}


class _LearningRate(_ScheduledUpdate):
    """LearningRateModifier: a torch scheduler stepped every optimizer step (§6.3)."""

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe, -1.0)
        spec = entry.spec
        self.lr_class = str(getattr(spec, "lr_class"))
        kwargs = getattr(spec, "lr_kwargs")
        self.lr_kwargs = dict(kwargs) if isinstance(kwargs, dict) else {}
        if self.lr_class == "ExponentialLR":  # rewritten at construction
            self.lr_kwargs["step_size"] = 1.0
            self.lr_class = "StepLR"
        self.init_lr = float(getattr(spec, "init_lr"))
        self.scheduler: _TorchScheduler | None = None
        self.cawr: dict[str, Any] | None = None
        self.scheduler_steps = 0

    def _corrected(self) -> tuple[str, dict[str, Any]]:
        """LearningRateModifier.corrected_lr_info, with torch's constructor checks."""
        kw = dict(self.lr_kwargs)
        spe = self.spe
        if self.lr_class == "StepLR":
            kw["step_size"] = round(kw["step_size"] * spe)
        elif self.lr_class == "MultiStepLR":
            milestones = kw["milestones"]
            kw["milestones"] = [round((m - self.start) * spe) for m in milestones]
            for m in milestones:
                if m <= self.start:
                    raise _Crash("ValueError", f"milestone {_e(m)} is not after `start_epoch` "
                                               f"{_e(self.start)}")
                if m >= self.end and self.end >= 0.0:
                    raise _Crash("ValueError", f"milestone {_e(m)} is not before `end_epoch` "
                                               f"{_e(self.end)}")
        else:
            kw["eta_min"] = kw.pop("lr_min")
            kw["T_0"] = kw.pop("cycle_epochs")
        unknown = [k for k in kw if k not in _TORCH_KWARGS[self.lr_class]]
        if unknown:
            raise _Crash("TypeError", f"`lr_kwargs` has `{unknown[0]}`, which torch's "
                                      f"{self.lr_class} does not take (unexpected keyword "
                                      "argument)")
        if self.lr_class == "CosineAnnealingWarmRestarts":
            t0, tm = kw["T_0"], kw.get("T_mult", 1)
            if not isinstance(t0, int) or isinstance(t0, bool) or t0 <= 0:
                raise _Crash("ValueError", f"`cycle_epochs` {t0!r} must be a positive integer "
                                           "(torch: Expected positive integer T_0)")
            if not isinstance(tm, int) or isinstance(tm, bool) or tm < 1:
                raise _Crash("ValueError", f"`T_mult` {tm!r} must be an integer >= 1")
            if not isinstance(kw["eta_min"], (int, float)):
                raise _Crash("ValueError", f"`lr_min` {kw['eta_min']!r} must be a number")
        return self.lr_class, kw

    def _setup(self, t: float, opt: _Optimizer) -> None:
        if self.scheduler is not None or self.cawr is not None:
            return
        cls, kw = self._corrected()
        if cls == "CosineAnnealingWarmRestarts":
            for g in opt.groups:
                if opt.initial_lr[g] is None:
                    opt.initial_lr[g] = opt.lr[g]
            self.cawr = {"T_0": kw["T_0"], "T_mult": kw.get("T_mult", 1),
                         "eta_min": kw["eta_min"], "base_lrs": dict(opt.initial_lr)}
            self._cawr_step(0, opt)
        else:
            if cls == "MultiStepLR":
                counts: dict[int, int] = {}
                for m in kw["milestones"]:
                    counts[m] = counts.get(m, 0) + 1
                kw["milestones"] = counts
            self.scheduler = _TorchScheduler(cls, kw, opt)
        self.scheduler_steps += round(t * self.spe)

    def _cawr_step(self, epoch: float, opt: _Optimizer) -> None:
        c = self.cawr
        assert c is not None
        for g in opt.groups:
            opt.lr[g] = cosine_warm_restarts(epoch, c["T_0"], c["T_mult"], c["eta_min"],
                                             c["base_lrs"][g])

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        super().update(t, k, opt)
        if self.scheduler is None and self.cawr is None and self.init_lr:
            opt.set_lr(self.init_lr)
        if t <= EPS:
            self.scheduler_steps -= 1
            return
        if abs(self.end - t) <= EPS and self.end >= 0.0:
            return
        self._setup(t, opt)
        if self.cawr is None:
            assert self.scheduler is not None
            global_step = (round(t * self.spe) if self.end < 0.0 or t <= self.end
                           else round(self.end * self.spe))
            diff = global_step - self.scheduler_steps
            if diff > 0:
                try:
                    for _ in range(diff):
                        self.scheduler.step()
                except ZeroDivisionError:
                    raise _Crash("ZeroDivisionError",
                                 f"`step_size` {_e(self.lr_kwargs.get('step_size'))} epochs "
                                 f"is 0 steps with {_steps(self.spe)} per epoch (integer "
                                 "modulo by zero)") from None
                self.scheduler_steps = global_step
        else:
            self._cawr_step(t - self.start if self.start >= 0.0 else 0.0, opt)


class _SetWD(_Scheduled):
    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe)
        self.value = getattr(entry.spec, "weight_decay")
        self.groups = getattr(entry.spec, "param_groups", None)

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        if self.start_pending(t):
            for g in opt.selected(self.groups):
                opt.weight_decay[g] = self.value
            self.track.events.append(Event(k, t, "weight_decay", self.value))


class _QAT(_Scheduled):
    """QuantizationModifier (both forms): QAT start, BN freeze and observer disable, each
    on the first step at/after its epoch (at initialize when that epoch is 0 or -1)."""

    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe)
        self.freeze = getattr(entry.spec, "freeze_bn_stats_epoch", None)
        self.observers = getattr(entry.spec, "disable_quantization_observer_epoch", None)
        self.qat = self.frozen = self.disabled = False

    def _observers_ready(self, t: float) -> bool:
        return self.observers is not None and t >= self.observers and not self.disabled

    def _freeze_ready(self, t: float) -> bool:
        return self.freeze is not None and t >= self.freeze and not self.frozen

    def update_ready(self, t: float) -> bool:
        return self.start_pending(t) or self._observers_ready(t) or self._freeze_ready(t)

    def _check(self, t: float, k: int) -> None:
        if self.start_pending(t) and not self.qat:
            self.qat = True
            self.track.events.append(Event(k, t, "qat_start"))
        if self._observers_ready(t):
            self.disabled = True
            self.track.events.append(Event(k, t, "observers_disabled"))
        if self._freeze_ready(t):
            self.frozen = True
            self.track.events.append(Event(k, t, "bn_freeze"))

    def initialize(self, opt: _Optimizer) -> None:
        self._check(0.0, 0)

    def update(self, t: float, k: int, opt: _Optimizer) -> None:
        self._check(t, k)

    @property
    def idle(self) -> bool:
        return self.dead or (self.started or -1 < self.start < 0) and \
            (self.observers is None or self.disabled) and (self.freeze is None or self.frozen)


def _make(entry: ModifierEntry, track: ModifierTrack, spe: int) -> _Scheduled:
    t = entry.type
    spec = entry.spec
    if t in GRADUAL_PRUNERS:
        return _Gradual(entry, track, spe)
    if t == "ConstantPruningModifier":
        return _Constant(entry, track, spe)
    if t == "ACDCPruningModifier":
        return _ACDC(entry, track, spe)
    if t == "RigLPruningModifier":
        return _Fixed(entry, track, spe, getattr(spec, "final_sparsity"))
    if t == "TopKASTPruningModifier":
        return _Fixed(entry, track, spe, getattr(spec, "forward_sparsity"))
    if t == "SetLearningRateModifier":
        return _SetLR(entry, track, spe)
    if t == "LearningRateFunctionModifier":
        return _LRFunction(entry, track, spe)
    if t == "LearningRateModifier":
        return _LearningRate(entry, track, spe)
    if t == "SetWeightDecayModifier":
        return _SetWD(entry, track, spe)
    if t in QAT_TYPES:
        return _QAT(entry, track, spe)
    freq = getattr(spec, "update_frequency", None)
    if isinstance(freq, (int, float)) and not isinstance(freq, bool) and \
            not (type(spec).ignored_fields().get("update_frequency")):
        return _ScheduledUpdate(entry, track, spe, float(freq))
    return _Scheduled(entry, track, spe)


#: what a modifier needs from the training script, beyond the recipe
_NEEDS = {
    "OBSPruningModifier": "needs a `grad_sampler` passed to `modify()` by the training "
                          "script (RuntimeError otherwise)",
    "RigLPruningModifier": "needs a `grad_sampler` passed to `modify()` by the training "
                           "script (KeyError otherwise); shown with its overall target",
    "MFACPruningModifier": "buffers `num_grads` gradients (one per step) before its first "
                           "mask update, or needs a `grad_sampler` (RuntimeError otherwise)",
    "DistillationModifier": "does nothing unless the training script passes a "
                            "`distillation_teacher`",
    "PerLayerDistillationModifier": "does nothing unless the training script passes a "
                                    "`distillation_teacher`",
}


def _steps(n: int) -> str:
    return f"{n} step{'s' if n != 1 else ''}"


def _e(value: Any) -> str:
    """An epoch for messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _params_key(entry: ModifierEntry) -> Any:
    params = entry.args.get("params")
    if params in (None, [], "") and entry.type in GMP_FAMILY:
        params = ALL_PRUNABLE_TOKEN
    if isinstance(params, str):
        return params.upper()
    if isinstance(params, list):
        return tuple(sorted(map(str, params)))
    return None


# ---- the simulation -------------------------------------------------------------------

def simulate(recipe: Recipe, steps_per_epoch: int, *, max_steps: int = MAX_STEPS,
             epochs: int | None = None) -> Schedule:
    """Simulate the recipe's training range, step by step, as SparseML 1.8 runs it.

    Args:
        recipe: a loaded recipe; modifiers that did not validate are left out (a note says
            so).
        steps_per_epoch: optimizer steps (batches) per epoch, at least 1.
        max_steps: refuse (:class:`ScheduleTooLong`) to simulate more steps than this.
        epochs: simulate this many epochs instead of SparseML's `max_epochs`.

    Returns:
        The :class:`Schedule`.
    """
    if steps_per_epoch < 1:
        raise ValueError(f"steps per epoch must be at least 1, got {steps_per_epoch}")
    spe = int(steps_per_epoch)
    tl = timeline(recipe)
    notes: list[str] = []
    if epochs is None:
        total = tl.max_epochs
        if total < 1:
            notes.append(f"SparseML's max_epochs is {tl.max_epochs}: the recipe does not fix "
                         "a training length (the training script does); showing 1 epoch")
            total = 1
    else:
        total = int(epochs)
        if total < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
    n_steps = total * spe
    if n_steps > max_steps:
        raise ScheduleTooLong(f"{total} epochs x {_steps(spe)} per epoch is {n_steps:,} steps, "
                              f"more than the limit of {max_steps:,}")
    skipped = [m for m in recipe.modifiers if m.spec is None]
    if skipped:
        notes.append(f"{len(skipped)} modifier{'s' if len(skipped) > 1 else ''} with errors "
                     "left out")
    ordered = manager_order(recipe)
    tracks: dict[int, ModifierTrack] = {}
    for entry in recipe.modifiers:
        if entry.spec is None:
            continue
        tracks[entry.index] = ModifierTrack(
            entry.index, entry.type, entry.line, entry.spec.family, entry.stage,
            float(entry.spec.effective_start_epoch), float(entry.spec.effective_end_epoch))
    for pos, entry in enumerate(ordered):
        tracks[entry.index].order = pos
    emus = [_make(e, tracks[e.index], spe) for e in ordered]
    for emu in emus:
        if emu.entry.type in _NEEDS:
            emu.track.notes.append(_NEEDS[emu.entry.type])
        if emu.track.never_starts:
            emu.track.notes.append(f"`start_epoch` {_e(emu.start)} is between -1 and 0: "
                                   "it never starts")
        if isinstance(emu, _Pruner):
            emu.track.target.length = n_steps  # type: ignore[union-attr]
            emu.track.mask.length = n_steps  # type: ignore[union-attr]
            emu.track.sparsity.length = n_steps  # type: ignore[union-attr]
    groups = {0}
    for entry in ordered:
        selection = getattr(entry.spec, "param_groups", None) \
            if entry.type in LR_TYPES + ("SetWeightDecayModifier",) else None
        if isinstance(selection, list):
            groups.update(g for g in selection if isinstance(g, int) and not isinstance(g, bool))
    opt = _Optimizer(sorted(groups))
    lrs = {g: Series(n_steps) for g in opt.groups}
    wds = {g: Series(n_steps) for g in opt.groups}
    crashes: list[ModifierCrash] = []
    for emu in emus:
        emu.initialize(opt)
    live = [e for e in emus if not e.idle]
    for k in range(n_steps):
        t = step_epoch(k, spe)
        changed = False
        for emu in live:
            if not emu.update_ready(t):
                continue
            changed = True
            try:
                emu.scheduled_update(t, k, opt)
            except Exception as e:  # noqa: BLE001 - every failure becomes a crash report
                if isinstance(e, _Crash):
                    exception, message = e.exception, e.message
                else:
                    exception, message = type(e).__name__, f"{type(e).__name__}: {e}"
                crash = ModifierCrash(emu.entry.index, emu.entry.type, emu.entry.line, k, t,
                                      exception, message)
                emu.track.crash = crash
                crashes.append(crash)
                emu.dead = True
            emu.record(k)
        if changed:
            live = [e for e in live if not e.idle]
            for g in opt.groups:
                lrs[g].set(k, opt.lr[g])
                wds[g].set(k, opt.weight_decay[g])
    schedule = Schedule(spe, total, n_steps, tl.max_epochs, tl.min_epochs, tl.declared_end,
                        [tracks[i] for i in sorted(tracks)], [e.index for e in ordered],
                        lrs[0], wds[0], crashes, notes, lrs, wds)
    _constant_holds(schedule, recipe)
    return schedule


def _constant_holds(schedule: Schedule, recipe: Recipe) -> None:
    """ConstantPruning keeps the zeros it finds: when an earlier pruner of the same params
    left its mask on, show the sparsity that pruner held at the ConstantPruning's start."""
    entries = {m.index: m for m in recipe.modifiers}
    for track in schedule.tracks:
        if track.type != "ConstantPruningModifier" or track.mask is None:
            continue
        key = _params_key(entries[track.index])
        start = track.start_step
        source: ModifierTrack | None = None
        if start is not None and key is not None:
            for other in schedule.tracks:
                if other is track or other.type == "ConstantPruningModifier" or \
                        other.sparsity is None or _params_key(entries[other.index]) != key:
                    continue
                if other.sparsity.at(start) is not None and (
                        source is None or (other.start_step or 0) > (source.start_step or 0)):
                    source = other
        series = Series(schedule.n_steps)
        if source is not None:
            assert source.sparsity is not None
            held = source.sparsity.at(start)  # type: ignore[arg-type]
            track.holds_from = source.index
            for k, on in track.mask.changes():
                series.set(k, held if on else None)
        track.sparsity = series
        if source is None:
            track.notes.append("keeps whatever zeros the weights have when it starts (no "
                               "earlier pruner of the same params)")
