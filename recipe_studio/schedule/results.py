"""What the schedule simulation produces: per-step series, events, crashes, phases.

These are plain data (no simulation code): `render/`, `diff/`, `lsp/` and the lint rules
read a :class:`Schedule` without importing the simulator (`schedule.simulation`) or the
modifier state machines (`schedule.machines`) that fill it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.models.catalog import QUANTIZATION, RAMP_PRUNERS
from recipe_studio.schedule.formulas import step_epoch

#: a pruner's target: one sparsity, one per group of a `final_sparsity` mapping, or none
Target = float | tuple[float, ...] | None


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
        return [t for t in self.tracks if t.type in QUANTIZATION]

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
                   if (t.type in RAMP_PRUNERS or t.type == "ACDCPruningModifier")
                   and not t.never_starts]
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
