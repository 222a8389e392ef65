"""Compare the schedule engine with what SparseML's manager did (see sparseml_driver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recipe_studio.read.recipe import Recipe
from recipe_studio.schedule.results import Schedule
from tests.schedule.sparseml_driver import INITIAL_LR, INITIAL_WD, Run

#: pruners whose masks hold exactly round(numel * target) zeros per tensor
PER_TENSOR = ("GMPruningModifier", "MagnitudePruningModifier", "MovementPruningModifier")
#: pruners with one threshold over all their tensors: round(total * target) zeros in all
GLOBAL = ("GlobalMagnitudePruningModifier", "ACDCPruningModifier", "TopKASTPruningModifier")


@dataclass
class Agreement:
    recipes: int = 0
    steps: int = 0
    lr_points: int = 0
    target_points: int = 0
    mask_points: int = 0
    measured_points: int = 0
    qat_points: int = 0
    crashes: int = 0
    max_lr_dev: float = 0.0
    max_target_dev: float = 0.0
    max_measured_dev: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.recipes} recipes, {self.steps} steps: lr {self.lr_points} points "
                f"(max dev {self.max_lr_dev:.3g}), sparsity targets {self.target_points} points "
                f"(max dev {self.max_target_dev:.3g}), masks enabled {self.mask_points}, "
                f"measured tensor sparsity {self.measured_points} points (max dev "
                f"{self.max_measured_dev:.3g}), QAT flags {self.qat_points}, predicted crashes "
                f"{self.crashes}")


def _dev(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b)


def compare(recipe: Recipe, schedule: Schedule, run: Run, agreement: Agreement, *,
            label: str, measured: bool = False, tol: float = 1e-9) -> None:
    """Record every disagreement between the engine and SparseML in `agreement.problems`."""
    problems = agreement.problems
    entries = {m.index: m for m in recipe.modifiers}
    order = [entries[i] for i in schedule.order]
    agreement.recipes += 1
    if run.max_epochs != schedule.max_epochs:
        problems.append(f"{label}: max_epochs {schedule.max_epochs} != SparseML {run.max_epochs}")
    if [e.type for e in order] != [type(m).__name__ for m in run.order]:
        problems.append(f"{label}: order {[e.type for e in order]} != "
                        f"{[type(m).__name__ for m in run.order]}")
        return
    for entry, mod in zip(order, run.order):
        assert entry.spec is not None
        want = (entry.spec.effective_start_epoch, entry.spec.effective_end_epoch)
        if (mod.start_epoch, mod.end_epoch) != want:
            problems.append(f"{label}: order differs at {entry.type} {want} vs "
                            f"{(mod.start_epoch, mod.end_epoch)}")
            return
        for key in ("learning_rate", "init_lr", "final_lr", "weight_decay"):
            if key in entry.args and hasattr(mod, key) and \
                    float(getattr(mod, key)) != float(entry.args[key]):
                problems.append(f"{label}: order differs at {entry.type} {key}")
                return
    crash = min(schedule.crashes, key=lambda c: c.step) if schedule.crashes else None
    if crash is not None:
        agreement.crashes += 1
        if run.error is None or run.error[0] != crash.step or run.error[1] != crash.exception:
            problems.append(f"{label}: engine predicts {crash.exception} at step {crash.step}, "
                            f"SparseML: {run.error}")
            return
    elif run.error is not None:
        problems.append(f"{label}: SparseML raised {run.error}, the engine predicted nothing")
        return
    n = min(len(run.lr), schedule.n_steps)
    agreement.steps += n
    tracks = [schedule.track(e.index) for e in order]
    events: dict[int, dict[str, int]] = {}
    for pos, track in enumerate(tracks):
        events[pos] = {e.kind: e.step for e in track.events}
    for k in range(n):
        for g, series in schedule.lr_groups.items():
            if g >= len(run.lr[k]):
                continue
            lr = series.at(k)
            lr = INITIAL_LR if lr is None else lr
            d = _dev(lr, run.lr[k][g])
            agreement.max_lr_dev = max(agreement.max_lr_dev, d)
            agreement.lr_points += 1
            if d > tol:
                problems.append(f"{label}: step {k} group {g} lr {lr!r} != SparseML "
                                f"{run.lr[k][g]!r}")
                return
        for g, series in schedule.weight_decay_groups.items():
            if g >= len(run.wd[k]):
                continue
            wd = series.at(k)
            wd = INITIAL_WD if wd is None else wd
            if wd != run.wd[k][g]:
                problems.append(f"{label}: step {k} group {g} weight decay {wd!r} != "
                                f"{run.wd[k][g]!r}")
                return
        for pos, (track, state) in enumerate(zip(tracks, run.mods[k])):
            if track.mask is not None:
                if not _pruner(track, state, k, agreement, label, measured, tol,
                               entries[track.index].args):
                    return
            if state.qat is not None:
                ev = events[pos]
                want_flags = tuple(name in ev and ev[name] <= k for name in
                                   ("qat_start", "bn_freeze", "observers_disabled"))
                agreement.qat_points += 1
                if want_flags != state.qat:
                    problems.append(f"{label}: step {k} QAT flags {want_flags} != {state.qat}")
                    return


def _pruner(track: Any, state: Any, k: int, agreement: Agreement, label: str, measured: bool,
            tol: float, args: dict[str, Any]) -> bool:
    problems = agreement.problems
    target = track.target.at(k)
    mask = track.mask.at(k)
    agreement.mask_points += 1
    if bool(mask) != bool(state.enabled):
        problems.append(f"{label}: step {k} #{track.index} mask {mask} != {state.enabled}")
        return False
    applied = state.applied
    if target is None or applied is None:
        if (target is None) != (applied is None):
            problems.append(f"{label}: step {k} #{track.index} target {target} != {applied}")
            return False
        return True
    values = applied if isinstance(applied, list) else [applied]
    wanted = target if isinstance(target, tuple) else (target,)
    for v in values:
        d = min(_dev(float(v), float(w)) for w in wanted)
        agreement.max_target_dev = max(agreement.max_target_dev, d)
        agreement.target_points += 1
        if d > tol:
            problems.append(f"{label}: step {k} #{track.index} target {target!r} != {applied!r}")
            return False
    unstructured = args.get("mask_type", "unstructured") == "unstructured"
    if measured and mask and state.zeros and unstructured:
        per_tensor = track.type in PER_TENSOR and not args.get("global_sparsity", False)
        glob = track.type in GLOBAL or (track.type == "GMPruningModifier"
                                        and args.get("global_sparsity", False))
        if per_tensor:
            for (zeros, numel), t in zip(state.zeros, values):
                d = abs(zeros / numel - round(numel * float(t)) / numel)
                agreement.max_measured_dev = max(agreement.max_measured_dev, d)
                agreement.measured_points += 1
                if d > tol:
                    problems.append(f"{label}: step {k} #{track.index} zeros {zeros}/{numel} "
                                    f"for target {t}")
                    return False
        elif glob:
            zeros = sum(z for z, _ in state.zeros)
            numel = sum(n for _, n in state.zeros)
            t = float(values[0])
            d = abs(zeros / numel - round(numel * t) / numel)
            agreement.max_measured_dev = max(agreement.max_measured_dev, d)
            agreement.measured_points += 1
            if d > tol:
                problems.append(f"{label}: step {k} #{track.index} total zeros {zeros}/{numel} "
                                f"for target {t}")
                return False
    return True
