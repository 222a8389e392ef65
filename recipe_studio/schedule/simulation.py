"""The step simulation: what SparseML 1.8 does with a recipe, step by step, without torch.

:func:`simulate` walks the optimizer steps of the training range exactly as SparseML's
`RecipeManagerStepWrapper` does (sparseml-recipes.md §7.1): before step `k` the manager
updates every modifier, in its own order (§7.4), at epoch
``t_k = float(k // spe) + float(k % spe) / float(spe)``. Each modifier is a small state
machine (:mod:`recipe_studio.schedule.machines`) that mirrors its SparseML class, so the
values agree with SparseML bit for bit (a test drives SparseML's real manager to check it).
The result is a :class:`~recipe_studio.schedule.results.Schedule`.

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

from typing import Any

from recipe_studio.models.base import ALL_PRUNABLE_TOKEN
from recipe_studio.models.catalog import GMP_FAMILY, LEARNING_RATE
from recipe_studio.read.recipe import ModifierEntry, Recipe
from recipe_studio.schedule.formulas import step_epoch
from recipe_studio.numbers import epoch_whole, step_count
from recipe_studio.schedule.machines import (
    NEEDS, Crash, Optimizer, Pruner, Scheduled, make_machine,
)
from recipe_studio.schedule.order import manager_order
from recipe_studio.schedule.results import ModifierCrash, ModifierTrack, Schedule, Series
from recipe_studio.schedule.timeline import Timeline, timeline

#: default limit on the number of simulated steps (epochs x steps per epoch)
MAX_STEPS = 2_000_000


class ScheduleTooLong(ValueError):
    """The training range has more steps than the engine was allowed to simulate."""


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
    total = _training_epochs(tl, epochs, notes)
    n_steps = total * spe
    if n_steps > max_steps:
        raise ScheduleTooLong(f"{total} epochs x {step_count(spe)} per epoch is {n_steps:,} "
                              f"steps, more than the limit of {max_steps:,}")
    skipped = [m for m in recipe.modifiers if m.spec is None]
    if skipped:
        notes.append(f"{len(skipped)} modifier{'s' if len(skipped) > 1 else ''} with errors "
                     "left out")
    ordered = manager_order(recipe)
    tracks = _tracks(recipe, ordered)
    machines = [make_machine(e, tracks[e.index], spe) for e in ordered]
    _prepare(machines, n_steps)
    opt = Optimizer(_param_groups(ordered))
    lrs, wds, crashes = _run(machines, opt, n_steps, spe)
    schedule = Schedule(spe, total, n_steps, tl.max_epochs, tl.min_epochs, tl.declared_end,
                        [tracks[i] for i in sorted(tracks)], [e.index for e in ordered],
                        lrs[0], wds[0], crashes, notes, lrs, wds)
    _constant_holds(schedule, recipe)
    return schedule


def _training_epochs(tl: Timeline, epochs: int | None, notes: list[str]) -> int:
    """The number of epochs to simulate: SparseML's `max_epochs` (at least 1), or `epochs`."""
    if epochs is None:
        total = tl.max_epochs
        if total < 1:
            notes.append(f"SparseML's max_epochs is {tl.max_epochs}: the recipe does not fix "
                         "a training length (the training script does); showing 1 epoch")
            total = 1
        return total
    total = int(epochs)
    if total < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    return total


def _tracks(recipe: Recipe, ordered: list[ModifierEntry]) -> dict[int, ModifierTrack]:
    """An empty track per valid modifier, by index, with its position in the update order."""
    tracks: dict[int, ModifierTrack] = {}
    for entry in recipe.modifiers:
        if entry.spec is None:
            continue
        tracks[entry.index] = ModifierTrack(
            entry.index, entry.type, entry.line, entry.spec.family, entry.stage,
            float(entry.spec.effective_start_epoch), float(entry.spec.effective_end_epoch))
    for pos, entry in enumerate(ordered):
        tracks[entry.index].order = pos
    return tracks


def _prepare(machines: list[Scheduled], n_steps: int) -> None:
    """The notes known before the first step; the pruners' series sized to the range."""
    for machine in machines:
        track = machine.track
        if machine.entry.type in NEEDS:
            track.notes.append(NEEDS[machine.entry.type])
        if track.never_starts:
            track.notes.append(f"`start_epoch` {epoch_whole(machine.start)} is between -1 and 0: "
                               "it never starts")
        if isinstance(machine, Pruner):
            track.target.length = n_steps  # type: ignore[union-attr]
            track.mask.length = n_steps  # type: ignore[union-attr]
            track.sparsity.length = n_steps  # type: ignore[union-attr]


def _param_groups(ordered: list[ModifierEntry]) -> list[int]:
    """Param group 0 and every group a learning-rate or weight-decay modifier names."""
    groups = {0}
    for entry in ordered:
        selection = getattr(entry.spec, "param_groups", None) \
            if entry.type in LEARNING_RATE or entry.type == "SetWeightDecayModifier" else None
        if isinstance(selection, list):
            groups.update(g for g in selection if isinstance(g, int) and not isinstance(g, bool))
    return sorted(groups)


def _run(machines: list[Scheduled], opt: Optimizer, n_steps: int, spe: int,
         ) -> tuple[dict[int, Series], dict[int, Series], list[ModifierCrash]]:
    """The manager's step loop: every machine that is ready updates, in the manager's
    order, before each step; the learning rate and weight decay of every param group are
    recorded where they change. Returns (lr per group, weight decay per group, crashes)."""
    lrs = {g: Series(n_steps) for g in opt.groups}
    wds = {g: Series(n_steps) for g in opt.groups}
    crashes: list[ModifierCrash] = []
    for machine in machines:
        machine.initialize(opt)
    live = [m for m in machines if not m.idle]
    for k in range(n_steps):
        t = step_epoch(k, spe)
        changed = False
        for machine in live:
            if not machine.update_ready(t):
                continue
            changed = True
            try:
                machine.scheduled_update(t, k, opt)
            except Exception as e:  # noqa: BLE001 - every failure becomes a crash report
                crashes.append(_crashed(machine, e, k, t))
            machine.record(k)
        if changed:
            live = [m for m in live if not m.idle]
            for g in opt.groups:
                lrs[g].set(k, opt.lr[g])
                wds[g].set(k, opt.weight_decay[g])
    return lrs, wds, crashes


def _crashed(machine: Scheduled, error: Exception, k: int, t: float) -> ModifierCrash:
    """Stop the machine; the crash SparseML would report at step `k`."""
    if isinstance(error, Crash):
        exception, message = error.exception, error.message
    else:
        exception, message = type(error).__name__, f"{type(error).__name__}: {error}"
    entry = machine.entry
    crash = ModifierCrash(entry.index, entry.type, entry.line, k, t, exception, message)
    machine.track.crash = crash
    machine.dead = True
    return crash


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


def _params_key(entry: ModifierEntry) -> Any:
    params = entry.args.get("params")
    if params in (None, [], "") and entry.type in GMP_FAMILY:
        params = ALL_PRUNABLE_TOKEN
    if isinstance(params, str):
        return params.upper()
    if isinstance(params, list):
        return tuple(sorted(map(str, params)))
    return None
