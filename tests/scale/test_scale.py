"""`scale`: what each kind of value becomes, and the guarantees on hand-written recipes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from recipe_studio.transform.edit import comment_texts
from recipe_studio.read.load import load
from recipe_studio.transform.scale import ScaleError, scale_recipe_text, scale_text
from recipe_studio.schedule.timeline import timeline
from tests.conftest import EXAMPLES
from tests.scale.checks import Plan, budget, field_problems, lint_worse


def scaled(text: str, epochs: float, **kw):
    result = scale_text(text, epochs, path="recipe.yaml", **kw)
    return result, load(result.text, path="recipe.yaml")


def field(recipe, index: int, name: str):
    return recipe.modifiers[index].spec.args()[name]


def guarantees(text: str, epochs: float, *, qat: float | None = None, **kw):
    """Validates, schedule = original scaled, max_epochs, lint no worse, comments kept."""
    orig = load(text, path="recipe.yaml")
    result, new = scaled(text, epochs, **kw)
    assert new.ok, [d.message for d in new.errors]
    assert field_problems(orig, new, Plan(budget(orig), epochs, qat), result.notes) == []
    assert timeline(new).max_epochs == math.ceil(epochs)
    assert lint_worse(orig, new) == {}
    assert comment_texts(result.text) == comment_texts(text)
    return result, new


PRUNE = """\
# a literal recipe
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 40.0   # training ends here

  - !GMPruningModifier
    params: ['re:.*weight']
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0
    end_epoch: 30
    update_frequency: 1.0

  - !SetLearningRateModifier

      {start_epoch: 0.0, learning_rate: 0.01}
  - !LearningRateFunctionModifier
      {start_epoch: 30.0, end_epoch: 40.0, lr_func: cosine, init_lr: 0.01, final_lr: 0.0001}
"""


def test_literals_are_replaced_in_place():
    result, new = guarantees(PRUNE, 20)
    expected = (PRUNE.replace("end_epoch: 40.0   #", "end_epoch: 20.0   #")
                .replace("end_epoch: 30\n", "end_epoch: 15\n")
                .replace("update_frequency: 1.0", "update_frequency: 0.5")
                .replace("{start_epoch: 30.0, end_epoch: 40.0,",
                         "{start_epoch: 15.0, end_epoch: 20.0,"))
    assert result.text == expected
    # an integer stays an integer when the new value is whole
    assert isinstance(new.modifiers[1].raw_args["end_epoch"], int)
    assert result.ratio == 0.5 and result.old_max_epochs == 40 and result.new_max_epochs == 20


def test_same_budget_is_byte_identical():
    for text in (PRUNE, PRUNE.replace("\n", "\r\n"), "\ufeff" + PRUNE):
        assert scale_recipe_text(text, 40) == text
    for path in EXAMPLES.glob("*.*"):
        if path.name == "broken.yaml":
            continue
        text = path.read_bytes().decode("utf-8")
        epochs = timeline(load(path)).max_epochs
        assert scale_recipe_text(text, epochs, path=path.name) == text, path


def test_newlines_and_bom_are_kept():
    text = "\ufeff" + PRUNE.replace("\n", "\r\n")
    out = scale_recipe_text(text, 20)
    assert out.startswith("\ufeff") and "\r\n" in out and "\n" not in out.replace("\r\n", "")
    assert "end_epoch: 20.0   # training ends here\r\n" in out


def test_variables_change_once_and_expressions_follow():
    text = (EXAMPLES / "prune-quantize.yaml").read_text()
    result, new = guarantees(text, 100)
    changed = {c.what: (c.old, c.new) for c in result.changes}
    assert changed["variable `num_epochs`"] == ("50.0", "100.0")
    assert changed["variable `qat_epochs`"] == ("5.0", "10.0")
    # literals inside expressions are epochs too: `sparse_end + 3` → `sparse_end + 6`
    assert "freeze_bn_stats_epoch: eval(sparse_end + 6)" in result.text
    assert "disable_quantization_observer_epoch: eval(sparse_end + 8)" in result.text
    # the fraction and the learning rates are not epochs
    assert "pruning_fraction: 0.6\n" in result.text and "init_lr: 0.05\n" in result.text
    assert new.variables["sparse_end"].value == 90


def test_the_recipe_s_own_rounding_is_reported():
    text = (EXAMPLES / "prune-quantize.yaml").read_text()
    result, new = scaled(text, 25)
    # pruning_end = round(sparse_end * 0.6) = round(13.5) = 14, not 13.5
    assert new.variables["pruning_end"].value == 14
    assert any("`end_epoch` of `!GlobalMagnitudePruningModifier`" in n and "rounds it" in n
               for n in result.notes)


def test_anchor_is_changed_once_and_aliases_follow():
    text = """\
start: &start 10.0
stop: &stop 30
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: 40.0}
  - !MagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.9
    start_epoch: *start
    end_epoch: *stop
    update_frequency: &freq 0.5
  - !ConstantPruningModifier
      {params: __ALL_PRUNABLE__, start_epoch: *stop}
  - !SetWeightDecayModifier
      {start_epoch: *start, weight_decay: 0.0001}
"""
    result, _ = guarantees(text, 80)
    assert "start: &start 20.0\nstop: &stop 60\n" in result.text
    assert "update_frequency: &freq 1.0" in result.text
    assert result.text.count("*start") == 2 and result.text.count("*stop") == 2


def test_sentinels_ignored_fields_and_every_step_are_kept():
    text = """\
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: 10.0}
  - !SetLearningRateModifier
      {start_epoch: 5.0, end_epoch: 10.0, learning_rate: 0.1}
  - !ConstantPruningModifier
      {params: __ALL_PRUNABLE__, start_epoch: -1, end_epoch: -1}
  - !LearningRateFunctionModifier
      {start_epoch: 0.0, end_epoch: 5.0, lr_func: linear, init_lr: 0.1, final_lr: 0.01,
     update_frequency: 2.0}
  - !GMPruningModifier
      {params: __ALL_PRUNABLE__, init_sparsity: 0.0, final_sparsity: 0.5, start_epoch: 1.0,
     end_epoch: 4.0, update_frequency: -1}
"""
    result, new = scaled(text, 30)
    assert new.ok
    # SetLearningRate's end_epoch and the function's update_frequency are ignored by SparseML
    assert "start_epoch: 15.0, end_epoch: 10.0, learning_rate: 0.1" in result.text
    assert "update_frequency: 2.0}" in result.text
    assert "start_epoch: -1, end_epoch: -1" in result.text
    assert "update_frequency: -1}" in result.text
    assert field(new, 4, "end_epoch") == 12.0


def test_learning_rate_schedulers():
    text = """\
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: 20.0}
  - !LearningRateModifier
    lr_class: MultiStepLR
    lr_kwargs: {milestones: [5, 10, 15], gamma: 0.1}
    init_lr: 0.1
    start_epoch: 0.0
    end_epoch: 20.0
  - !LearningRateModifier
    lr_class: StepLR
    lr_kwargs:
      step_size: 2.0
      gamma: 0.5
    init_lr: 0.1
    start_epoch: 0.0
    end_epoch: 10.0
  - !LearningRateModifier
    lr_class: ExponentialLR
    lr_kwargs: {gamma: 0.9}
    init_lr: 0.1
    start_epoch: 10.0
    end_epoch: 20.0
  - !LearningRateModifier
    lr_class: CosineAnnealingWarmRestarts
    lr_kwargs: {lr_min: 0.001, cycle_epochs: 4}
    init_lr: 0.1
    start_epoch: 0.0
    end_epoch: 20.0
"""
    result, new = guarantees(text, 40, )
    kw = [m.spec.lr_kwargs for m in new.modifiers[1:]]
    assert kw[0]["milestones"] == [10, 20, 30] and kw[0]["gamma"] == 0.1
    assert kw[1]["step_size"] == 4.0 and kw[1]["gamma"] == 0.5
    # total decay over the (now twice as long) range is kept: 0.9**10 == gamma**20
    assert math.isclose(kw[2]["gamma"] ** 20, 0.9 ** 10, rel_tol=1e-9)
    assert kw[3]["cycle_epochs"] == 8 and isinstance(kw[3]["cycle_epochs"], int)
    # CAWR cycle_epochs stays a whole number (torch needs an int T_0)
    result, new = scaled(text, 30)
    cycle = new.modifiers[4].spec.lr_kwargs["cycle_epochs"]
    assert cycle == 6 and isinstance(cycle, int)


def test_quantization_and_thinning_epochs():
    text = """\
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: 10.0}
  - !QuantizationModifier
    start_epoch: 6.0
    freeze_bn_stats_epoch: 8.0
    disable_quantization_observer_epoch: 9
  - !LayerThinningModifier
    param_group_dependency_map: {'a.weight': ['b.weight']}
    start_epoch: 1.0
    update_epochs: [2.0, 4.0]
"""
    result, new = guarantees(text, 5)
    q = new.modifiers[1].spec
    assert (q.start_epoch, q.freeze_bn_stats_epoch, q.disable_quantization_observer_epoch) == \
        (3.0, 4.0, 4.5)
    assert new.modifiers[2].spec.update_epochs == [1.0, 2.0]


def test_acdc_epochs_stay_whole():
    text = """\
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: 10.0}
  - !ACDCPruningModifier
    compression_sparsity: 0.9
    start_epoch: 0
    end_epoch: 10
    update_frequency: 5
    params: __ALL_PRUNABLE__
"""
    result, new = scaled(text, 15)
    spec = new.modifiers[1].spec
    assert (spec.start_epoch, spec.end_epoch, spec.update_frequency) == (0, 15, 8)
    assert any("rounded to 8 (exact 7.5)" in n for n in result.notes)
    assert timeline(new).max_epochs == 15


def test_a_variable_used_as_epoch_and_as_something_else_keeps_its_value():
    text = """\
warmup: 2
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: 10.0}
  - !LearningRateFunctionModifier
      {start_epoch: 0.0, end_epoch: eval(warmup), lr_func: linear, init_lr: 0.01,
     final_lr: 0.1}
  - !QuantizationModifier
    start_epoch: 8.0
    num_calibration_steps: eval(warmup)
"""
    result, new = scaled(text, 20)
    assert "warmup: 2\n" in result.text  # the calibration steps must not change
    assert new.modifiers[1].spec.end_epoch == 4.0
    assert new.modifiers[2].spec.num_calibration_steps == 2
    assert any("`end_epoch` of `!LearningRateFunctionModifier`" in n and "`warmup`" in n
               for n in result.notes)


def test_fractions_of_the_budget_are_not_scaled():
    text = """\
num_epochs: 10
start_frac: 0.2
end_frac: 0.8
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: eval(num_epochs)}
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.0
    final_sparsity: 0.5
    start_epoch: eval(start_frac * num_epochs)
    end_epoch: eval(num_epochs * end_frac)
    update_frequency: eval(num_epochs / 10)
"""
    result, new = guarantees(text, 25)
    assert [c.what for c in result.changes] == ["variable `num_epochs`"]
    assert result.text.replace("num_epochs: 25", "num_epochs: 10") == text


def test_keep_quantization_keeps_the_tail():
    text = (EXAMPLES / "prune-quantize.yaml").read_text()
    result, new = guarantees(text, 30, qat=45.0, keep_quantization=True)
    q = new.modifiers[-1].spec
    assert (q.start_epoch, q.freeze_bn_stats_epoch, q.disable_quantization_observer_epoch) == \
        (25.0, 28.0, 29.0)
    assert result.qat_start == (45.0, 25.0)
    assert "qat_epochs: 5.0" in result.text  # the tail's length is untouched


def test_keep_quantization_with_fractions_of_the_budget():
    text = """\
num_epochs: 100
qat_epochs: 10
prune_start: 0.1
prune_end: 0.6
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: eval(num_epochs)}
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.0
    final_sparsity: 0.5
    start_epoch: eval(prune_start * num_epochs)
    end_epoch: eval(prune_end * num_epochs)
    update_frequency: 1.0
  - !QuantizationModifier
      {start_epoch: eval(num_epochs - qat_epochs)}
"""
    result, new = guarantees(text, 55, qat=90.0, keep_quantization=True)
    assert new.modifiers[2].spec.start_epoch == 45.0
    assert new.modifiers[1].spec.start_epoch == pytest.approx(5.0)
    assert new.modifiers[1].spec.end_epoch == pytest.approx(30.0)


def test_keep_quantization_errors():
    with pytest.raises(ScaleError, match="no QuantizationModifier"):
        scale_text(PRUNE, 20, keep_quantization=True)
    text = PRUNE + "  - !QuantizationModifier\n    start_epoch: 35.0\n"
    with pytest.raises(ScaleError, match="QAT tail is 5 epochs"):
        scale_text(text, 5, keep_quantization=True)


def test_round():
    result, new = scaled(PRUNE, 13, round_decimals=2)
    assert field(new, 1, "end_epoch") == 9.75
    assert field(new, 1, "update_frequency") == 0.33  # 0.325 rounded half to even
    assert "update_frequency: 0.33" in result.text


def test_markdown_prose_is_untouched():
    text = (EXAMPLES / "resnet-pruned.md").read_text()
    result = scale_text(text, 40, path="resnet-pruned.md")
    assert result.changed
    head, _, _ = text.partition("---\n")
    a = text.split("\n---")
    b = result.text.split("\n---")
    assert a[-1] == b[-1] and result.text.startswith(head)
    assert load(result.text, path="resnet-pruned.md").ok


def test_staged_recipe():
    text = """\
stage_0:
  length: 10
  stage_0_modifiers:
    - !EpochRangeModifier
        {start_epoch: 0.0, end_epoch: eval(length)}
    - !SetLearningRateModifier
        {start_epoch: 0.0, learning_rate: 0.1}
stage_1:
  begin: 10
  stage_1_modifiers:
    - !EpochRangeModifier
        {start_epoch: eval(begin), end_epoch: 20.0}
"""
    result, new = guarantees(text, 10)
    assert "length: 5\n" in result.text and "begin: 5\n" in result.text


def test_overridden_variables_get_a_new_override():
    text = (EXAMPLES / "prune-quantize.yaml").read_text()
    result = scale_text(text, 50, overrides={"num_epochs": 100.0})
    # the recipe runs 100 epochs with the override: scaling to 50 halves the override
    assert result.overrides == {"num_epochs": 50.0}
    assert "num_epochs: 50.0" in result.text  # the written value is not used: left alone


def test_default_durations_are_written_out():
    text = """\
modifiers:
  - !EpochRangeModifier
      {start_epoch: 0.0, end_epoch: 10.0}
  - !LearningRateFunctionModifier
    start_epoch: 0.0
    end_epoch: 10.0
    lr_func: cyclic_linear
    init_lr: 0.1
    final_lr: 0.01
  - !SparsificationLoggingModifier
      {start_epoch: 0.0}
"""
    result, new = guarantees(text, 20)
    assert new.modifiers[1].spec.cycle_epochs == 2.0
    assert new.modifiers[2].spec.update_frequency == 2.0
    assert "    final_lr: 0.01\n    cycle_epochs: 2.0\n" in result.text


@pytest.mark.parametrize("text, message", [
    ("modifiers:\n  - !GMPruningModifier {}\n", "errors"),
    ("modifiers:\n  - !ConstantPruningModifier {params: __ALL__, start_epoch: -1}\n",
     "no epoch budget"),
    ("modifiers:\n  - !QuantizationModifier\n    start_epoch: 0.0\n", "no epoch budget"),
])
def test_refusals(text, message):
    with pytest.raises(ScaleError, match=message) as info:
        scale_text(text, 10)
    if message == "errors":
        assert info.value.diagnostics and info.value.diagnostics[0].code == "RS103"


@pytest.mark.parametrize("epochs", [0, -5, float("inf")])
def test_bad_budget(epochs):
    with pytest.raises(ScaleError, match="positive"):
        scale_text(PRUNE, epochs)


def test_examples_meet_every_guarantee(tmp_path: Path):
    for path in sorted(EXAMPLES.glob("*.*")):
        if path.name == "broken.yaml":
            continue
        text = path.read_text()
        old = budget(load(path))
        for factor in (0.5, 2.0, 3.0):
            orig = load(path)
            result = scale_text(text, old * factor, path=path.name)
            new = load(result.text, path=path.name)
            assert new.ok
            assert field_problems(orig, new, Plan(old, old * factor), result.notes) == []
            assert lint_worse(orig, new) == {}, path
            assert comment_texts(result.text) == comment_texts(text)
