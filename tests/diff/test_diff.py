"""`diff`: semantic differences, pairing, `via_variable`, the summary, and what is not a
difference."""

from __future__ import annotations

import random

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_studio.diff.semantic import diff_texts
from recipe_studio.transform.finalize import _Dumper, _Tagged, finalize_document, finalize_yaml
from recipe_studio.read.load import load
from tests.conftest import EXAMPLES
from tests.scale.test_scale_properties import recipes

BASE = (EXAMPLES / "prune-quantize.yaml").read_text()


def test_a_recipe_is_equivalent_to_itself():
    result = diff_texts(BASE, BASE)
    assert result.equivalent and result.changes == []
    assert result.to_dict()["equivalent"] is True


def test_layout_comments_anchors_and_prefixes_are_not_differences():
    other = """\
# the same recipe, written differently
training_modifiers:
  - !EpochRangeModifier
    end_epoch: &end 50
    start_epoch: 0
  - !SetLearningRateModifier
    learning_rate: 0.05
    start_epoch: 0.0
    end_epoch: 12.0                 # ignored by SparseML
  - !LearningRateFunctionModifier
    init_lr: 0.05
    final_lr: 0.001
    lr_func: cosine
    start_epoch: 27
    end_epoch: 45
    update_frequency: 3.0           # ignored by SparseML
  - !SetLearningRateModifier {learning_rate: 1.0e-5, start_epoch: 45}
pruning_modifiers:
  - !pytorch.GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    final_sparsity: 0.85
    init_sparsity: 0.05
    start_epoch: 0.0
    end_epoch: 27
    update_frequency: 1
    leave_enabled: true
    inter_func: cubic               # the default, written out
quantization_modifiers:
  - !QuantizationModifier
    start_epoch: 45
    submodules: [model]
    freeze_bn_stats_epoch: 48
    disable_quantization_observer_epoch: 49
"""
    result = diff_texts(BASE, other)
    assert result.equivalent, [c.to_dict() for c in result.changes]
    assert result.notes  # `!pytorch.` and the same-line flow tag would not load in SparseML


def test_a_changed_modifier_is_one_change_per_field_with_its_variable():
    other = BASE.replace("num_epochs: 50.0", "num_epochs: 60.0").replace(
        "lr_func: cosine", "lr_func: linear")
    result = diff_texts(BASE, other)
    assert not [c for c in result.changes if c.kind != "changed"]
    got = {(c.type, c.field): (c.a, c.b, c.via_variable) for c in result.changes}
    assert got[("EpochRangeModifier", "end_epoch")] == (50.0, 60.0, "num_epochs")
    assert got[("LearningRateFunctionModifier", "lr_func")] == ("cosine", "linear", None)
    assert got[("QuantizationModifier", "freeze_bn_stats_epoch")] == (48, 58, "num_epochs")
    # pruning_end = round(sparse_end * pruning_fraction): 27 → 33, through two variables
    assert got[("GlobalMagnitudePruningModifier", "end_epoch")] == (27, 33, "num_epochs")
    assert result.summary_a.total_epochs == 50 and result.summary_b.total_epochs == 60
    assert result.summary_b.qat_start == 55


def test_via_names_the_variable_whose_definition_changed():
    other = BASE.replace("pruning_end: eval(round(sparse_end * pruning_fraction))",
                         "pruning_end: eval(round(sparse_end * 0.5))")
    result = diff_texts(BASE, other)
    ends = [c for c in result.changes if c.field in ("end_epoch", "start_epoch")]
    assert ends and {c.via_variable for c in ends} == {"pruning_end"}


def test_added_and_removed_modifiers():
    other = BASE.replace("""  - !SetLearningRateModifier
    start_epoch: eval(sparse_end)
    learning_rate: eval(qat_lr)
""", "") + """  - !ConstantPruningModifier
    params: __ALL_PRUNABLE__
    start_epoch: eval(sparse_end)
"""
    result = diff_texts(BASE, other)
    kinds = sorted((c.kind, c.type) for c in result.changes)
    assert kinds == [("added", "ConstantPruningModifier"), ("removed", "SetLearningRateModifier")]
    removed = next(c for c in result.changes if c.kind == "removed")
    assert removed.index_a == 3 and removed.index_b is None and removed.a["learning_rate"] == 1e-5
    as_json = removed.to_dict()
    assert as_json["modifier"] == {"type": "SetLearningRateModifier", "index_a": 3,
                                   "index_b": None}
    assert set(as_json) == {"kind", "modifier", "field", "a", "b", "via_variable"}


def test_pairing_prefers_the_same_params_then_similar_fields():
    def pruner(params: str, final: float, start: float) -> str:
        return (f"  - !MagnitudePruningModifier\n    params: {params}\n"
                f"    init_sparsity: 0.05\n    final_sparsity: {final}\n"
                f"    start_epoch: {start}\n    end_epoch: 10.0\n    update_frequency: 1.0\n")
    a = "modifiers:\n" + pruner("['a.weight']", 0.8, 0.0) + pruner("['b.weight']", 0.5, 2.0)
    # swapped order, and b's sparsity changed: still paired by params, not by position
    b = "modifiers:\n" + pruner("['b.weight']", 0.6, 2.0) + pruner("['a.weight']", 0.8, 0.0)
    result = diff_texts(a, b)
    assert [(c.index_a, c.index_b, c.field, c.a, c.b) for c in result.changes] == \
        [(1, 0, "final_sparsity", 0.5, 0.6)]
    assert result.pairs == [(0, 1), (1, 0)]


def test_lr_kwargs_are_compared_key_by_key():
    a = """modifiers:
  - !LearningRateModifier
    lr_class: MultiStepLR
    lr_kwargs: {milestones: [5, 8], gamma: 0.1}
    init_lr: 0.1
    start_epoch: 0.0
    end_epoch: 10.0
"""
    b = a.replace("[5, 8]", "[5.0, 9]")
    result = diff_texts(a, b)
    assert [(c.field, c.a, c.b) for c in result.changes] == [("lr_kwargs.milestones", [5, 8],
                                                              [5.0, 9])]


def test_summary_has_sparsity_qat_and_learning_rates():
    s = diff_texts(BASE, BASE).summary_a
    assert s.total_epochs == 50 and s.qat_start == 45.0
    assert list(s.final_sparsity.values()) == [0.85]
    assert s.lr[0.0] == 0.05 and s.lr[50.0] == 1e-5
    assert 27.0 in s.lr and 45.0 in s.lr  # the phase boundaries


# ---- properties ---------------------------------------------------------------------------

def rewritten(text: str, seed: int, prefix: bool) -> str:
    """The same recipe with literals for variables and anchors, fields in another order
    and (optionally) `!pytorch.` tags: a different text, the same modifiers."""
    doc = finalize_document(load(text, path="r.yaml"))
    rng = random.Random(seed)
    for group in doc.values():
        if not isinstance(group, list):
            continue
        for i, mod in enumerate(group):
            items = list(mod.args.items())
            rng.shuffle(items)
            tag = mod.tag.replace("!", "!pytorch.") if prefix else mod.tag
            group[i] = _Tagged(tag, dict(items))
    return "# rewritten\n" + yaml.dump(doc, Dumper=_Dumper, sort_keys=False,
                                       default_flow_style=False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), st.integers(0, 2**16), st.booleans())
def test_rewriting_a_recipe_is_no_difference(text, seed, prefix):
    assert diff_texts(text, text).equivalent
    assert diff_texts(text, finalize_yaml(load(text, path="r.yaml"))).equivalent
    other = rewritten(text, seed, prefix)
    assert other != text
    result = diff_texts(text, other)
    assert result.equivalent, [c.to_dict() for c in result.changes]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), st.data())
def test_one_changed_value_is_one_change(text, data):
    recipe = load(text, path="r.yaml")
    candidates = [(m.index, k) for m in recipe.modifiers
                  for k, v in m.spec.args(exclude_defaults=True).items()
                  if k in ("init_sparsity", "final_sparsity", "init_lr")]
    index, key = data.draw(st.sampled_from(candidates))
    doc = finalize_document(recipe)
    mods = [m for group in doc.values() if isinstance(group, list) for m in group]
    mods[index].args[key] = 0.123
    other = yaml.dump(doc, Dumper=_Dumper, sort_keys=False)
    result = diff_texts(text, other)
    assert [(c.kind, c.index_a, c.index_b, c.field, c.b) for c in result.changes] == \
        [("changed", index, index, key, 0.123)]
