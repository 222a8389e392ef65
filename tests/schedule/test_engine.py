"""The schedule engine on the behaviours sparseml-recipes.md §6-7 measured in SparseML.

Expected values are written from the reference (hand-computed), not from the engine; the
step-by-step agreement with SparseML itself is `test_engine_vs_sparseml.py`.
"""

from __future__ import annotations

import math

import pytest

from recipe_studio.read.load import load
from recipe_studio.schedule import formulas
from recipe_studio.schedule.results import Schedule, Series, first_step_at
from recipe_studio.schedule.simulation import ScheduleTooLong, simulate
from tests.conftest import EXAMPLES


def gmp(start: float, end: float, freq: float, *, init: float = 0.05, final: float = 0.8,
        func: str = "cubic", leave: bool = True, cls: str = "GMPruningModifier",
        params: str = "__ALL_PRUNABLE__") -> str:
    return f"""  - !{cls}
    params: {params}
    init_sparsity: {init!r}
    final_sparsity: {final!r}
    start_epoch: {start!r}
    end_epoch: {end!r}
    update_frequency: {freq!r}
    inter_func: {func}
    leave_enabled: {str(leave).lower()}
"""


def mod(tag: str, **fields: object) -> str:
    lines = [f"  - !{tag}"]
    for key, value in fields.items():
        text = "true" if value is True else "false" if value is False else repr(value) \
            if not isinstance(value, str) else value
        lines.append(f"    {key}: {text}")
    return "\n".join(lines) + "\n"


def epochs(n: float) -> str:
    return mod("EpochRangeModifier", start_epoch=0.0, end_epoch=float(n))


def sim(*mods: str, spe: int = 1, **kw: object) -> Schedule:
    recipe = load("modifiers:\n" + "".join(mods))
    assert recipe.ok, [d.message for d in recipe.errors]
    return simulate(recipe, spe, **kw)  # type: ignore[arg-type]


def update_epochs(schedule: Schedule, index: int = 0) -> list[float]:
    return [schedule.epoch(k) for k in schedule.track(index).updates]


# ---- GMP timing and targets (§6.1) ---------------------------------------------------------

def test_float_drift_skips_an_update() -> None:
    s = sim(gmp(0.0, 1.0, 0.1), epochs(1.2), spe=10)
    assert update_epochs(s)[:4] == [0.0, 0.1, 0.2, 0.4]  # 0.2 + 0.1 > 0.3 in floating point


def test_drift_with_five_steps_per_epoch() -> None:
    ups = update_epochs(sim(gmp(0.0, 2.0, 0.2), epochs(2), spe=5))
    assert 0.4 in ups and 0.6 not in ups and 0.8 in ups


def test_frequency_off_the_step_grid_rounds_up() -> None:
    ups = update_epochs(sim(gmp(0.0, 3.0, 0.3), epochs(3), spe=4))
    assert ups == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


def test_frequency_zero_or_minus_one_updates_every_step() -> None:
    for freq in (0.0, -1.0):
        s = sim(gmp(0.0, 2.0, freq), epochs(3), spe=3)
        assert s.track(0).updates == list(range(7))


def test_start_minus_one_measures_from_epoch_minus_one() -> None:
    s = sim(gmp(-1.0, 4.0, 1.0), epochs(4))
    y = 1 - (1 - 0.2) ** 3
    assert s.track(0).target.at(0) == y * (0.8 - 0.05) + 0.05
    assert s.track(0).start_step == 0


def test_end_minus_one_never_leaves_init_sparsity() -> None:
    s = sim(gmp(0.0, -1.0, 1.0), epochs(6))
    track = s.track(0)
    assert {track.sparsity.at(k) for k in range(s.n_steps)} == {0.05}
    assert track.end_step is None


def test_zero_length_window_crashes_at_the_start_update() -> None:
    s = sim(gmp(2.0, 2.0, 1.0), epochs(4), spe=2)
    (crash,) = s.crashes
    assert (crash.exception, crash.step, crash.epoch) == ("ZeroDivisionError", 4, 2.0)
    assert "start_epoch" in crash.message and crash.index == 0


def test_inverse_cubic_end_between_steps_crashes_on_grid_does_not() -> None:
    off = sim(gmp(0.0, 2.7, 0.5, func="inverse_cubic"), epochs(4), spe=2)
    (crash,) = off.crashes
    assert (crash.exception, crash.epoch) == ("TypeError", 3.0)
    assert "complex" in crash.message
    on = sim(gmp(0.0, 2.5, 0.5, func="inverse_cubic"), epochs(4), spe=2)
    assert not on.crashes and on.final_sparsity(0) == 0.8


def test_linear_and_cubic_clamp_past_an_off_grid_end() -> None:
    for func in ("linear", "cubic"):
        s = sim(gmp(0.0, 2.7, 0.5, func=func), epochs(4), spe=2)
        assert not s.crashes and s.track(0).target.at(6) == 0.8


def test_leave_enabled_false_releases_the_mask_at_the_end_step() -> None:
    s = sim(gmp(0.0, 2.0, 1.0, leave=False), epochs(4), spe=2)
    track = s.track(0)
    assert track.end_step == 4
    assert track.mask.at(3) is True and track.mask.at(4) is False
    assert track.sparsity.at(3) is not None and track.sparsity.at(4) is None
    assert track.target.at(4) == 0.8  # computed at the end update, then released
    assert track.event("mask_released").step == 4


def test_start_and_end_on_one_step_keep_the_mask() -> None:
    # both fall on the step at epoch 1: inside update() the modifier is not started yet, so
    # SparseML's end_pending() is false and the mask is never released
    s = sim(gmp(0.3, 0.4, 0.1, leave=False), epochs(3))
    track = s.track(0)
    assert track.start_step == track.end_step == 1
    assert track.sparsity.at(2) == 0.8 and track.mask.at(2) is True


def test_start_between_minus_one_and_zero_never_starts() -> None:
    s = sim(gmp(-0.5, 2.0, 1.0), epochs(3))
    track = s.track(0)
    assert track.start_step is None and track.updates == []
    assert all(v is None for v in track.sparsity)
    assert any("never starts" in n for n in track.notes)


def test_gmp_targets_match_the_formula_at_each_update() -> None:
    s = sim(gmp(1.0, 5.0, 0.5, func="cubic"), epochs(6), spe=4)
    for k in s.track(0).updates:
        t = s.epoch(k)
        assert s.track(0).target.at(k) == formulas.gmp_target(t, 1.0, 5.0, 0.05, 0.8, "cubic")


def test_final_sparsity_mapping_gives_one_target_per_group() -> None:
    text = """  - !GMPruningModifier
    params: []
    init_sparsity: 0.0
    final_sparsity: {0.5: [a.weight], 0.9: [b.weight]}
    start_epoch: 0.0
    end_epoch: 2.0
    update_frequency: 1.0
"""
    s = sim(text, epochs(3))
    assert s.track(0).sparsity.at(2) == (0.5, 0.9)


def test_mfac_does_nothing_with_one_step_per_epoch() -> None:
    text = gmp(0.0, 2.0, 1.0, cls="MFACPruningModifier")
    one = sim(text, epochs(3), spe=1).track(0)
    assert all(v is None for v in one.sparsity) and one.notes
    two = sim(text, epochs(3), spe=2).track(0)
    assert two.sparsity.at(4) == 0.8


# ---- other pruners -------------------------------------------------------------------------

def test_acdc_phases() -> None:
    text = mod("ACDCPruningModifier", params="__ALL_PRUNABLE__", compression_sparsity=0.9,
               start_epoch=0, end_epoch=10, update_frequency=2)
    s = sim(text, epochs(12))
    per_epoch = [s.track(0).sparsity.at(k) for k in range(12)]
    # dense [0,2), sparse [2,4), dense [4,6), sparse [6,10) merged with the last phase, kept
    assert per_epoch == [0.0, 0.0, 0.9, 0.9, 0.0, 0.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    assert [e.kind for e in s.track(0).events if e.kind in ("dense", "sparse")] == \
        ["dense", "sparse", "dense", "sparse"]


def test_constant_pruning_holds_what_an_earlier_pruner_left() -> None:
    s = sim(gmp(0.0, 5.0, 1.0, final=0.85),
            mod("ConstantPruningModifier", params="__ALL_PRUNABLE__", start_epoch=5.0),
            epochs(8))
    constant = s.track(1)
    assert constant.holds_from == 0
    assert constant.sparsity.at(4) is None and constant.sparsity.at(7) == 0.85
    assert constant.target.at(7) is None  # SparseML has no numeric target for it


def test_constant_pruning_with_an_end_releases_its_mask() -> None:
    s = sim(mod("ConstantPruningModifier", params="__ALL_PRUNABLE__", start_epoch=0.0,
                end_epoch=2.0), epochs(4))
    assert s.track(0).mask.at(1) is True and s.track(0).mask.at(2) is False


def test_topkast_and_rigl_hold_their_target() -> None:
    topkast = mod("TopKASTPruningModifier", params="__ALL_PRUNABLE__", forward_sparsity=0.7,
                  backward_sparsity=0.5, start_epoch=1.0, end_epoch=3.0, update_frequency=1.0)
    s = sim(topkast, epochs(4))
    assert [s.track(0).sparsity.at(k) for k in range(4)] == [None, 0.7, 0.7, 0.7]


# ---- learning rate (§6.2-6.4) --------------------------------------------------------------

def lrf(func: str, start: float, end: float, init: float = 0.1, final: float = 0.001,
        **extra: object) -> str:
    return mod("LearningRateFunctionModifier", lr_func=func, init_lr=init, final_lr=final,
               start_epoch=start, end_epoch=end, **extra)


def test_linear_end_between_steps_overshoots_and_stays() -> None:
    s = sim(lrf("linear", 0.0, 2.7), epochs(5), spe=2)
    expected = 0.1 + (3.0 / 2.7) * (0.001 - 0.1)
    assert math.isclose(s.lr.at(6), -0.01, abs_tol=1e-12) and s.lr.at(6) == expected
    assert s.lr.at(9) == expected


@pytest.mark.parametrize("func", ["linear", "cosine"])
def test_lr_function_reaches_final_lr_on_a_grid_end(func: str) -> None:
    s = sim(lrf(func, 1.0, 3.0), epochs(5), spe=4)
    assert s.track(0).end_step == 12
    # x = 1 exactly; linear computes 0.1 + 1.0 * (0.001 - 0.1) = 0.0010000000000000009
    assert math.isclose(s.lr.at(12), 0.001, rel_tol=1e-12) and s.lr.at(19) == s.lr.at(12)
    assert s.lr.at(0) is None  # before the start the optimizer keeps its own rate


def test_cosine_up_and_down() -> None:
    down = sim(lrf("cosine", 0.0, 4.0), epochs(4), spe=1)
    up = sim(lrf("cosine", 0.0, 4.0, init=0.001, final=0.1), epochs(4), spe=1)
    assert down.lr.at(2) == formulas.lr_cosine(2.0, 0.0, 4.0, 0.1, 0.001)
    assert up.lr.at(2) == formulas.lr_cosine(2.0, 0.0, 4.0, 0.001, 0.1)
    assert down.lr.at(1) > down.lr.at(2) > down.lr.at(3)
    assert up.lr.at(1) < up.lr.at(2) < up.lr.at(3)


def test_cyclic_linear_saw_tooth_ends_back_at_init() -> None:
    s = sim(lrf("cyclic_linear", 0.0, 2.0, cycle_epochs=1.0), epochs(3), spe=4)
    # cycles of 4 steps: init - (c / 3) * (init - final) for c = 0..3
    assert [s.lr.at(k) for k in range(4)] == [0.1 - (c / 3) * (0.1 - 0.001) for c in range(4)]
    assert math.isclose(s.lr.at(3), 0.001, rel_tol=1e-12)
    assert s.lr.at(4) == 0.1  # the next cycle restarts at init_lr
    assert s.lr.at(8) == 0.1 and s.lr.at(11) == 0.1  # ... and stays there after the end


def test_one_step_cycles_crash() -> None:
    s = sim(lrf("cyclic_linear", 0.0, 2.0, cycle_epochs=1.0), epochs(3), spe=1)
    (crash,) = s.crashes
    assert crash.exception == "ZeroDivisionError" and crash.step == 0
    assert "cycle" in crash.message


def test_set_lr_inside_a_function_lasts_one_step() -> None:
    s = sim(lrf("linear", 0.0, 10.0, init=0.1, final=0.0),
            mod("SetLearningRateModifier", start_epoch=3.0, learning_rate=0.5), epochs(10))
    assert s.lr.at(2) == formulas.lr_linear(2.0, 0.0, 10.0, 0.1, 0.0)
    assert s.lr.at(3) == 0.5  # the function (end 10) updates first, SetLR (never ends) last
    assert s.lr.at(4) == formulas.lr_linear(4.0, 0.0, 10.0, 0.1, 0.0)


def test_two_set_lrs_at_one_epoch_winner_does_not_depend_on_file_order() -> None:
    a = mod("SetLearningRateModifier", start_epoch=1.0, learning_rate=0.1)
    b = mod("SetLearningRateModifier", start_epoch=1.0, learning_rate=0.2)
    one, two = sim(a, b, epochs(2)), sim(b, a, epochs(2))
    assert one.lr.at(1) == two.lr.at(1) in (0.1, 0.2)


def lrm(cls: str, kwargs: str, start: float, end: float = -1.0, init: float = 0.1) -> str:
    return mod("LearningRateModifier", lr_class=cls, lr_kwargs=kwargs, init_lr=init,
               start_epoch=start, end_epoch=end)


def test_step_lr_last_decay_at_the_end_never_happens() -> None:
    s = sim(lrm("StepLR", "{gamma: 0.5, step_size: 1.0}", 0.0, 3.0), epochs(5), spe=2)
    assert [s.lr.at(k) for k in range(0, 10, 2)] == [0.1, 0.05, 0.025, 0.025, 0.025]


def test_step_lr_of_zero_steps_crashes() -> None:
    s = sim(lrm("StepLR", "{gamma: 0.5, step_size: 0.1}", 0.0), epochs(2), spe=4)
    (crash,) = s.crashes
    assert (crash.exception, crash.step) == ("ZeroDivisionError", 1)
    assert "0 steps" in crash.message


def test_exponential_lr_decays_once_per_epoch() -> None:
    s = sim(lrm("ExponentialLR", "{gamma: 0.5}", 0.0), epochs(3), spe=4)
    assert [s.lr.at(k) for k in (0, 3, 4, 7, 8)] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_multistep_with_start_minus_one_fires_one_epoch_late() -> None:
    s = sim(lrm("MultiStepLR", "{gamma: 0.1, milestones: [1.0, 2.5]}", -1.0), epochs(5),
            spe=2)
    lr = [s.lr.at(k) for k in range(10)]
    assert lr[3] == 0.1 and lr[4] == 0.1 * 0.1  # milestone 1 drops at epoch 2.0
    assert lr[6] == lr[4] and lr[7] == lr[4] * 0.1  # milestone 2.5 drops at 3.5


def test_multistep_milestone_outside_the_range_crashes() -> None:
    s = sim(lrm("MultiStepLR", "{gamma: 0.1, milestones: [4.0]}", 1.0, 3.0), epochs(4))
    assert s.crashes[0].exception == "ValueError" and s.crashes[0].epoch == 1.0


def test_cosine_warm_restarts() -> None:
    s = sim(lrm("CosineAnnealingWarmRestarts", "{lr_min: 0.0, cycle_epochs: 2}", 0.0),
            epochs(4), spe=2)
    assert [s.lr.at(k) for k in range(8)] == [
        formulas.cosine_warm_restarts(e % 2, 2, 1, 0.0, 0.1)
        for e in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)]
    frozen = sim(lrm("CosineAnnealingWarmRestarts", "{lr_min: 0.0, cycle_epochs: 2}", -1.0),
                 epochs(4), spe=2)
    assert {frozen.lr.at(k) for k in range(8)} == {0.1}  # start -1: it never moves
    bad = sim(lrm("CosineAnnealingWarmRestarts", "{lr_min: 0.0, cycle_epochs: 2.0}", 0.0),
              epochs(2), spe=2)
    assert bad.crashes[0].exception == "ValueError" and "integer" in bad.crashes[0].message


def test_param_groups_are_tracked_separately() -> None:
    s = sim(mod("SetLearningRateModifier", start_epoch=0.0, learning_rate=0.01,
                param_groups="[2]"), epochs(2))
    assert sorted(s.lr_groups) == [0, 2]
    assert s.lr.at(1) is None and s.lr_groups[2].at(1) == 0.01


def test_weight_decay() -> None:
    s = sim(mod("SetWeightDecayModifier", start_epoch=1.0, weight_decay=0.0005), epochs(3))
    assert [s.weight_decay.at(k) for k in range(3)] == [None, 0.0005, 0.0005]


# ---- QAT, training range, order ------------------------------------------------------------

def test_qat_events() -> None:
    text = mod("QuantizationModifier", start_epoch=1.0, freeze_bn_stats_epoch=2.0,
               disable_quantization_observer_epoch=3.0, activation_bits=8)
    s = sim(text, epochs(4), spe=2)
    events = {e.kind: e.step for e in s.track(0).events}
    assert (events["qat_start"], events["bn_freeze"], events["observers_disabled"]) == (2, 4, 6)


def test_qat_from_epoch_zero_starts_at_initialize() -> None:
    s = sim(mod("QuantizationModifier", start_epoch=0.0, freeze_bn_stats_epoch=0.0), epochs(2))
    assert s.track(0).event("qat_start").step == 0 and s.track(0).event("bn_freeze").step == 0


def test_training_range_is_sparseml_max_epochs() -> None:
    s = sim(gmp(0.0, 5.0, 1.0), epochs(2))
    assert (s.total_epochs, s.max_epochs, s.declared_end, s.n_steps) == (5, 5, 2.0, 5)
    one = sim(mod("SetLearningRateModifier", start_epoch=-1.0, learning_rate=0.1))
    assert one.total_epochs == 1 and one.notes  # max_epochs -1: no fixed length


def test_limits() -> None:
    with pytest.raises(ScheduleTooLong, match="steps"):
        sim(gmp(0.0, 100.0, 1.0), spe=1000, max_steps=10_000)
    with pytest.raises(ValueError):
        sim(gmp(0.0, 1.0, 1.0), spe=0)


def test_prune_quantize_example() -> None:
    s = simulate(load(EXAMPLES / "prune-quantize.yaml"), 1)
    assert [(p.name, p.start, p.end) for p in s.phases()] == [
        ("pruning", 0.0, 27.0), ("recovery", 27.0, 45.0), ("QAT", 45.0, 50.0)]
    # the cosine ends at 45 with final_lr, then the second SetLR (sorted after it) wins
    assert s.lr.at(44) != 1e-05 and s.lr.at(45) == 1e-05
    assert s.final_sparsity(4) == 0.85
    assert [s.track(i).type for i in s.order] == [
        "GlobalMagnitudePruningModifier", "LearningRateFunctionModifier", "EpochRangeModifier",
        "SetLearningRateModifier", "QuantizationModifier", "SetLearningRateModifier"]
    assert s.lr_at(30.0) == s.lr.at(30)


# ---- helpers ---------------------------------------------------------------------------------

def test_series() -> None:
    series = Series(6)
    for k, v in ((0, None), (1, 0.5), (2, 0.5), (4, 0.7)):
        series.set(k, v)
    assert series.changes() == [(1, 0.5), (4, 0.7)]
    assert [series.at(k) for k in range(6)] == list(series) == [None, 0.5, 0.5, 0.5, 0.7, 0.7]
    flags = Series(3, default=False)
    flags.set(0, False)
    flags.set(1, True)
    assert list(flags) == [False, True, True] and flags.changes() == [(1, True)]


@pytest.mark.parametrize("spe", [1, 3, 7, 10])
def test_first_step_at(spe: int) -> None:
    for epoch in (0.0, 0.1, 0.3, 1.0, 2.5, 3.7):
        k = first_step_at(epoch, spe)
        assert formulas.step_epoch(k, spe) >= epoch
        assert k == 0 or formulas.step_epoch(k - 1, spe) < epoch
