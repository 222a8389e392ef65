"""The schedule prediction the training bridge checks against (pure Python, no torch)."""

from __future__ import annotations

import math

import pytest

from recipe_studio.bridge.expect import ScheduleSimulation, expected_zeros, pruner_plans
from recipe_studio.bridge.manager import RecipeError, load_recipe
from recipe_studio.read.load import load
from recipe_studio.schedule.formulas import gmp_target, lr_cosine
from recipe_studio.schedule.timeline import timeline
from tests.conftest import EXAMPLES

GMP = """\
modifiers:
  - !GMPruningModifier
    params: ['re:.*weight']
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: {start}
    end_epoch: {end}
    update_frequency: {freq}
    inter_func: {func}
    leave_enabled: {leave}
"""


def sim(text: str, spe: int, base_lr: float | None = 0.1) -> ScheduleSimulation:
    recipe = load(text)
    assert recipe.ok, recipe.diagnostics
    return ScheduleSimulation(recipe, spe, base_lr=base_lr)


def test_gmp_update_grid_and_targets():
    s = sim(GMP.format(start=1.0, end=3.0, freq=0.5, func="cubic", leave="true"), spe=4)
    # epoch 0: not started; epoch 1 ends at t=1.75, last update at 1.5; epoch 2 at 2.5
    assert s.at_epoch_end(0).pruners[0].update_epoch is None
    assert s.at_epoch_end(1).pruners[0].update_epoch == 1.5
    assert s.at_epoch_end(2).pruners[0].update_epoch == 2.5
    state = s.at_epoch_end(3)
    assert state.pruners[0].update_epoch == 3.0 and state.pruners[0].ended
    plan = s.pruners[0]
    assert plan.target(1.5, "w") == gmp_target(1.5, 1.0, 3.0, 0.05, 0.8, "cubic")
    assert plan.target(3.0, "w") == 0.8


def test_update_frequency_drift_skips_a_step():
    # f=0.2 with 5 steps/epoch: 0.4 + 0.2 = 0.6000000000000001 > 0.6, so the update due at
    # 0.6 happens at 0.8 (sparseml-recipes.md §6.1, measured)
    updates = []
    probe = ScheduleSimulation(load(GMP.format(start=0.0, end=5.0, freq=0.2, func="linear",
                                               leave="true")), 5)
    for k in range(5):
        probe._advance(k)
        updates.append(probe._p_last[0])
    assert updates == [0.0, 0.2, 0.4, 0.4, 0.8]


def test_start_minus_one_measures_from_epoch_minus_one():
    s = sim(GMP.format(start=-1.0, end=4.0, freq=1.0, func="linear", leave="true"), spe=2)
    state = s.at_epoch_end(0).pruners[0]
    assert state.update_epoch == 0.0  # first step
    assert s.pruners[0].target(0.0, "w") == pytest.approx(0.05 + 0.2 * 0.75)


def test_released_masks_are_not_predicted():
    s = sim(GMP.format(start=0.0, end=1.0, freq=0.5, func="cubic", leave="false"), spe=2)
    state = s.at_epoch_end(1).pruners[0]
    assert state.ended and state.released
    assert expected_zeros(s.pruners[0], state, ["w"], [100]) is None


def test_expected_zeros_per_layer_and_global():
    text = GMP.format(start=0.0, end=2.0, freq=1.0, func="linear", leave="true")
    s = sim(text, spe=1)
    state = s.at_epoch_end(1).pruners[0]  # update at t=1.0: target 0.425
    assert expected_zeros(s.pruners[0], state, ["a", "b"], [10, 33]) == [
        round(10 * 0.425), round(33 * 0.425)]
    glob = sim(text.replace("GMPruningModifier", "GlobalMagnitudePruningModifier"), spe=1)
    gstate = glob.at_epoch_end(1).pruners[0]
    assert glob.pruners[0].global_sparsity
    assert expected_zeros(glob.pruners[0], gstate, ["a", "b"], [10, 33]) == round(43 * 0.425)


def test_dict_final_sparsity_first_entry_wins():
    text = """\
modifiers:
  - !GMPruningModifier
    params: []
    init_sparsity: 0.0
    final_sparsity: {0.5: ['re:conv.*'], 0.9: ['conv1.weight', 'fc.weight']}
    start_epoch: 0.0
    end_epoch: 1.0
    update_frequency: 1.0
"""
    plan = pruner_plans(load(text))[0]
    assert plan.final_for("conv1.weight") == 0.5
    assert plan.final_for("fc.weight") == 0.9
    assert plan.final_for("other.weight") is None


def test_learning_rate_functions_in_sparseml_order():
    text = """\
modifiers:
  - !SetLearningRateModifier
    start_epoch: 3.0
    learning_rate: 0.0001
  - !LearningRateFunctionModifier
    start_epoch: 1.0
    end_epoch: 3.0
    lr_func: cosine
    init_lr: 0.05
    final_lr: 0.001
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 4.0
"""
    s = sim(text, spe=4, base_lr=0.3)
    assert s.at_epoch_end(0).lr == 0.3  # nothing has acted yet: the optimizer's own LR
    assert s.at_epoch_end(1).lr == lr_cosine(1.75, 1.0, 3.0, 0.05, 0.001)
    # at t=3.0 the function's end update runs first (SparseML sorts by end epoch, the
    # never-ending SetLearningRate last), then SetLearningRate overrides it for good
    assert s.at_epoch_end(2).lr == lr_cosine(2.75, 1.0, 3.0, 0.05, 0.001)
    assert s.at_epoch_end(3).lr == 0.0001


def test_learning_rate_modifier_is_not_guessed():
    text = """\
modifiers:
  - !LearningRateModifier
    start_epoch: 0.0
    end_epoch: 4.0
    lr_class: StepLR
    lr_kwargs: {step_size: 1.0, gamma: 0.5}
    init_lr: 0.1
"""
    s = sim(text, spe=2)
    assert s.lr_note and "LearningRateModifier" in s.lr_note


def test_epochs_are_cached_in_any_order():
    s = sim(GMP.format(start=0.0, end=4.0, freq=0.25, func="cubic", leave="true"), spe=3)
    late = s.at_epoch_end(3)
    early = s.at_epoch_end(1)
    fresh = sim(GMP.format(start=0.0, end=4.0, freq=0.25, func="cubic", leave="true"), spe=3)
    assert fresh.at_epoch_end(1) == early and late.epoch == 3


def test_load_recipe_rescales_with_the_scale_module():
    recipe = load_recipe(EXAMPLES / "yolov5-gmp.yaml", epochs=10)
    assert timeline(recipe).max_epochs == 10
    pruner = next(m for m in recipe.modifiers if "Pruning" in m.type)
    assert math.isclose(pruner.args["end_epoch"], 6.0)  # 30 of 50 epochs → 6 of 10


def test_load_recipe_refuses_an_invalid_recipe_with_its_diagnostics():
    with pytest.raises(RecipeError) as info:
        load_recipe(EXAMPLES / "broken.yaml")
    codes = {d.code for d in info.value.diagnostics}
    assert {"RS101", "RS102", "RS301"} <= codes
    assert "broken.yaml" in str(info.value)


def test_load_recipe_applies_overrides_after_scaling():
    recipe = load_recipe(EXAMPLES / "prune-quantize.yaml", epochs=20,
                         variables={"target_sparsity": 0.7})
    pruner = next(m for m in recipe.modifiers if "Pruning" in m.type)
    assert pruner.args["final_sparsity"] == 0.7
    assert timeline(recipe).max_epochs == 20
