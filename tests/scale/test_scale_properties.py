"""Property tests: generated recipes (literals, variables, expressions, anchors) scale exactly,
and scaling there and back restores every epoch."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_studio.transform.edit import comment_texts
from recipe_studio.read.load import load
from recipe_studio.transform.scale import scale_text
from recipe_studio.schedule.timeline import timeline
from tests.scale.checks import Plan, budget, close, field_problems, lint_worse


@st.composite
def recipes(draw) -> str:
    """A valid recipe whose epochs are written in every style a recipe uses."""
    total = draw(st.integers(6, 150))
    start = draw(st.integers(0, total // 4))
    end = draw(st.integers(start + 1, max(start + 1, total * 3 // 4)))
    qat = draw(st.integers(end, total - 1))
    freq = draw(st.sampled_from([0.5, 1.0, 2.0, -1]))
    lines = ["# generated recipe", f"num_epochs: {total}" if draw(st.booleans())
             else f"num_epochs: {total}.0"]
    anchors: dict[str, str] = {}

    def written(name: str, value: float) -> str:
        style = draw(st.sampled_from(["literal", "variable", "expression", "anchor", "fraction"]))
        if style == "variable":
            lines.append(f"{name}: {value}")
            return f"eval({name})"
        if style == "expression":
            return f"eval(num_epochs - {total - value})" if value < total else "eval(num_epochs)"
        if style == "anchor":
            if name not in anchors:
                lines.append(f"{name}: &{name} {value}")
                anchors[name] = f"*{name}"
            return anchors[name]
        if style == "fraction" and total:
            lines.append(f"{name}_frac: {value / total!r}")
            return f"eval({name}_frac * num_epochs)"
        return str(value)

    s, e, q = written("prune_start", start), written("prune_end", end), written("qat_start", qat)
    lr = draw(st.sampled_from(["function", "multistep", "step"]))
    body = ["modifiers:",
            "  - !EpochRangeModifier",
            "    start_epoch: 0.0",
            "    end_epoch: eval(num_epochs)   # the whole run",
            "  - !GMPruningModifier",
            "    params: __ALL_PRUNABLE__",
            "    init_sparsity: 0.05",
            "    final_sparsity: 0.8",
            f"    start_epoch: {s}",
            f"    end_epoch: {e}",
            f"    update_frequency: {freq}"]
    if lr == "function":
        body += ["  - !LearningRateFunctionModifier",
                 "    lr_func: cosine", "    init_lr: 0.1", "    final_lr: 0.001",
                 f"    start_epoch: {e}", f"    end_epoch: {q}" if qat > end else
                 "    end_epoch: eval(num_epochs)"]
    elif lr == "multistep":
        body += ["  - !LearningRateModifier",
                 "    lr_class: MultiStepLR", "    init_lr: 0.1", "    start_epoch: 0.0",
                 f"    lr_kwargs: {{gamma: 0.1, milestones: [{e}]}}"]
    else:
        body += ["  - !LearningRateModifier",
                 "    lr_class: StepLR", "    init_lr: 0.1", f"    start_epoch: {s}",
                 "    lr_kwargs:", "      gamma: 0.5", f"      step_size: {freq if freq > 0 else 1}"]
    body += ["  - !QuantizationModifier",
             f"    start_epoch: {q}",
             f"    freeze_bn_stats_epoch: eval(num_epochs - {(total - qat) / 2})"
             if draw(st.booleans()) else "    freeze_bn_stats_epoch: null",
             "  - !ConstantPruningModifier",
             "    params: __ALL_PRUNABLE__",
             f"    start_epoch: {e}"]
    return "\n".join(lines + body) + "\n"


factors = st.sampled_from([0.25, 0.5, 0.7, 1.3, 1.5, 2.0, 3.0, 10.0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), factors)
def test_scaled_schedule_is_the_original_scaled(text, factor):
    orig = load(text, path="r.yaml")
    assert orig.ok, [d.message for d in orig.errors]
    old = budget(orig)
    result = scale_text(text, old * factor, path="r.yaml")
    new = load(result.text, path="r.yaml")
    assert new.ok, [d.message for d in new.errors]
    assert field_problems(orig, new, Plan(old, old * factor)) == []
    assert timeline(new).max_epochs == math.ceil(old * factor - 1e-9)
    assert comment_texts(result.text) == comment_texts(text)
    assert result.notes == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), factors)
def test_there_and_back_restores_the_epochs(text, factor):
    orig = load(text, path="r.yaml")
    old = budget(orig)
    there = scale_text(text, old * factor, path="r.yaml").text
    back = scale_text(there, old, path="r.yaml").text
    again = load(back, path="r.yaml")
    for a, b in zip(orig.modifiers, again.modifiers):
        assert close(a.spec.args(), b.spec.args(), tol=1e-9), (a.type, back)
    assert comment_texts(back) == comment_texts(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), st.sampled_from([0.5, 2.0, 4.0]))
def test_scaling_lints_no_worse(text, factor):
    # binary-exact factors: the lint rules compare epochs without a tolerance
    orig = load(text, path="r.yaml")
    old = budget(orig)
    new = load(scale_text(text, old * factor, path="r.yaml").text, path="r.yaml")
    assert lint_worse(orig, new, ratio=factor) == {}


@settings(max_examples=60, deadline=None)
@given(recipes())
def test_same_budget_is_identical(text):
    old = budget(load(text, path="r.yaml"))
    assert scale_text(text, old, path="r.yaml").text == text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes(), st.sampled_from([0.3, 0.6, 1.5, 2.5]))
def test_keep_quantization_keeps_the_tail_and_scales_the_rest(text, factor):
    orig = load(text, path="r.yaml")
    old = budget(orig)
    qat = next(m.spec.start_epoch for m in orig.modifiers if m.type == "QuantizationModifier")
    tail = old - qat
    new_budget = tail + qat * factor
    result = scale_text(text, new_budget, path="r.yaml", keep_quantization=True)
    new = load(result.text, path="r.yaml")
    assert new.ok
    assert field_problems(orig, new, Plan(old, new_budget, qat)) == []
    q2 = next(m.spec.start_epoch for m in new.modifiers if m.type == "QuantizationModifier")
    assert math.isclose(new_budget - q2, tail, rel_tol=1e-9, abs_tol=1e-9)
