"""The modifier state machines: one small class per SparseML modifier class, mirroring its
`start_pending`/`end_pending`/`update_ready` tests, its `update_frequency` bookkeeping
(including the floating-point drift that skips an update), `leave_enabled`, and for the
learning-rate schedulers the torch scheduler's own step counting (sparseml-recipes.md §7.1,
§6). :mod:`recipe_studio.schedule.simulation` drives them, one optimizer step at a time;
each writes what it does into its :class:`~recipe_studio.schedule.results.ModifierTrack`.

Where SparseML would raise while training, a machine raises :class:`Crash` with the
exception SparseML raises and a message that names the values.
"""

from __future__ import annotations

import math
from typing import Any

from recipe_studio.models.base import FROM_PARAM_TOKEN
from recipe_studio.models.catalog import QUANTIZATION, RAMP_PRUNERS
from recipe_studio.numbers import epoch_whole, step_count
from recipe_studio.read.recipe import ModifierEntry
from recipe_studio.schedule.formulas import (
    EPS, cosine_warm_restarts, interpolate_value, lr_function_value,
)
from recipe_studio.schedule.results import Event, ModifierTrack, Series, Target


class Optimizer:
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


class Crash(Exception):
    def __init__(self, exception: str, message: str):
        super().__init__(message)
        self.exception = exception
        self.message = message


class Scheduled:
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

    def initialize(self, opt: Optimizer) -> None:
        """`initialize()` at epoch 0, before the first step."""

    def scheduled_update(self, t: float, k: int, opt: Optimizer) -> None:
        self.update(t, k, opt)
        if self.start_pending(t):
            self.started = True
            self.track.start_step = k
            self.track.events.append(Event(k, t, "start"))
        if self.end_pending(t):
            self.ended = True
            self.track.end_step = k
            self.track.events.append(Event(k, t, "end"))

    def update(self, t: float, k: int, opt: Optimizer) -> None:
        pass

    @property
    def idle(self) -> bool:
        """True when it will never update again."""
        if self.dead or self.ended or -1 < self.start < 0:
            return True
        return self.started and self.end < 0 and not self.is_update

    def record(self, k: int) -> None:
        """Store this step's values in the track."""


class _ScheduledUpdate(Scheduled):
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

    def update(self, t: float, k: int, opt: Optimizer) -> None:
        self.last_update = t


class Pruner(_ScheduledUpdate):
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

    def update(self, t: float, k: int, opt: Optimizer) -> None:
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


class _Gradual(Pruner):
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
            raise Crash("ZeroDivisionError",
                        f"`start_epoch` and `end_epoch` are both {epoch_whole(self.start)}: the "
                        "sparsity ramp divides by `end_epoch - start_epoch` at its first "
                        "update") from None
        except TypeError:
            raise Crash("TypeError",
                        f"`end_epoch` {epoch_whole(self.end)} falls between steps ({self.spe} per "
                        f"epoch): the end update at epoch {epoch_whole(t)} is past `end_epoch` and "
                        "`inverse_cubic` of a negative number is complex "
                        "('<=' not supported between 'complex' and 'float')") from None

    def check_mask_update(self, t: float, k: int) -> None:
        if self.noop:
            return
        super().check_mask_update(t, k)


class _Constant(Pruner):
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


class _ACDC(Pruner):
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
            raise Crash("ZeroDivisionError", "`update_frequency` 0 gives zero-length "
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


class _Fixed(Pruner):
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


class _SetLR(Scheduled):
    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe)
        self.lr = float(getattr(entry.spec, "learning_rate"))
        self.groups = getattr(entry.spec, "param_groups", None)
        self.lr_set = False

    def update(self, t: float, k: int, opt: Optimizer) -> None:
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

    def update(self, t: float, k: int, opt: Optimizer) -> None:
        super().update(t, k, opt)
        try:
            lr = lr_function_value(self.func, t, self.start, self.end, self.init, self.final,
                                   self.cycle, self.spe)
        except ZeroDivisionError:
            if self.func == "cyclic_linear":
                raise Crash("ZeroDivisionError",
                            f"`cycle_epochs` {epoch_whole(self.cycle)} with "
                            f"{step_count(self.spe)} per epoch gives a cycle of one step (or "
                            "none): `cyclic_linear` divides by (cycle steps - 1)") from None
            raise Crash("ZeroDivisionError",
                        f"`end_epoch` {epoch_whole(self.end)} with `start_epoch` "
                        f"{epoch_whole(self.start)}: `{self.func}` divides by "
                        "`end_epoch - max(start_epoch, 0)`, which is 0") from None
        except TypeError as e:
            raise Crash("TypeError", f"`cycle_epochs` {self.cycle!r} is not a number ({e})") \
                from None
        opt.set_lr(lr, self.groups)


class _TorchScheduler:
    """torch's StepLR / MultiStepLR (chainable form) over every param group."""

    def __init__(self, kind: str, kwargs: dict[str, Any], opt: Optimizer):
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
                    raise Crash("ValueError", f"milestone {epoch_whole(m)} is not after "
                                              f"`start_epoch` {epoch_whole(self.start)}")
                if m >= self.end and self.end >= 0.0:
                    raise Crash("ValueError", f"milestone {epoch_whole(m)} is not before "
                                              f"`end_epoch` {epoch_whole(self.end)}")
        else:
            kw["eta_min"] = kw.pop("lr_min")
            kw["T_0"] = kw.pop("cycle_epochs")
        unknown = [k for k in kw if k not in _TORCH_KWARGS[self.lr_class]]
        if unknown:
            raise Crash("TypeError", f"`lr_kwargs` has `{unknown[0]}`, which torch's "
                                     f"{self.lr_class} does not take (unexpected keyword "
                                     "argument)")
        if self.lr_class == "CosineAnnealingWarmRestarts":
            t0, tm = kw["T_0"], kw.get("T_mult", 1)
            if not isinstance(t0, int) or isinstance(t0, bool) or t0 <= 0:
                raise Crash("ValueError", f"`cycle_epochs` {t0!r} must be a positive integer "
                                          "(torch: Expected positive integer T_0)")
            if not isinstance(tm, int) or isinstance(tm, bool) or tm < 1:
                raise Crash("ValueError", f"`T_mult` {tm!r} must be an integer >= 1")
            if not isinstance(kw["eta_min"], (int, float)):
                raise Crash("ValueError", f"`lr_min` {kw['eta_min']!r} must be a number")
        return self.lr_class, kw

    def _setup(self, t: float, opt: Optimizer) -> None:
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

    def _cawr_step(self, epoch: float, opt: Optimizer) -> None:
        c = self.cawr
        assert c is not None
        for g in opt.groups:
            opt.lr[g] = cosine_warm_restarts(epoch, c["T_0"], c["T_mult"], c["eta_min"],
                                             c["base_lrs"][g])

    def update(self, t: float, k: int, opt: Optimizer) -> None:
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
                    raise Crash("ZeroDivisionError",
                                f"`step_size` {epoch_whole(self.lr_kwargs.get('step_size'))} "
                                f"epochs is 0 steps with {step_count(self.spe)} per epoch "
                                "(integer modulo by zero)") from None
                self.scheduler_steps = global_step
        else:
            self._cawr_step(t - self.start if self.start >= 0.0 else 0.0, opt)


class _SetWD(Scheduled):
    def __init__(self, entry: ModifierEntry, track: ModifierTrack, spe: int):
        super().__init__(entry, track, spe)
        self.value = getattr(entry.spec, "weight_decay")
        self.groups = getattr(entry.spec, "param_groups", None)

    def update(self, t: float, k: int, opt: Optimizer) -> None:
        if self.start_pending(t):
            for g in opt.selected(self.groups):
                opt.weight_decay[g] = self.value
            self.track.events.append(Event(k, t, "weight_decay", self.value))


class _QAT(Scheduled):
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

    def initialize(self, opt: Optimizer) -> None:
        self._check(0.0, 0)

    def update(self, t: float, k: int, opt: Optimizer) -> None:
        self._check(t, k)

    @property
    def idle(self) -> bool:
        return self.dead or (self.started or -1 < self.start < 0) and \
            (self.observers is None or self.disabled) and (self.freeze is None or self.frozen)


def make_machine(entry: ModifierEntry, track: ModifierTrack, spe: int) -> Scheduled:
    t = entry.type
    spec = entry.spec
    if t in RAMP_PRUNERS:
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
    if t in QUANTIZATION:
        return _QAT(entry, track, spe)
    freq = getattr(spec, "update_frequency", None)
    if isinstance(freq, (int, float)) and not isinstance(freq, bool) and \
            not (type(spec).ignored_fields().get("update_frequency")):
        return _ScheduledUpdate(entry, track, spe, float(freq))
    return Scheduled(entry, track, spe)


#: what a modifier needs from the training script, beyond the recipe
NEEDS = {
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
