"""The bridge on a tiny model: apply + per-epoch checks, export, bench (SparseML, fast)."""

from __future__ import annotations

import warnings

import pytest

pytestmark = pytest.mark.sparseml

from recipe_studio.bridge import (
    MissingDependency, RecipeError, ScheduleMismatch, apply, bench, export_onnx, require,
)
from recipe_studio.bridge.export import ExportError

torch = require("torch")

SPE = 4

GMP_CUBIC = """\
modifiers:
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 3.0
    update_frequency: 0.5
"""

GLOBAL_OFF_GRID = """\
modifiers:
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.1
    final_sparsity: 0.7
    start_epoch: -1.0
    end_epoch: 2.6
    update_frequency: 0.3
    inter_func: linear
"""

DICT_INVERSE = """\
modifiers:
  - !MagnitudePruningModifier
    params: []
    init_sparsity: 0.0
    final_sparsity: {0.6: ['model.0.weight'], 0.9: ['re:model\\.4\\..*']}
    start_epoch: 1.0
    end_epoch: 3.0
    update_frequency: 1.0
    inter_func: inverse_cubic
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 4.0
"""

FROM_PARAM_AND_LR = """\
modifiers:
  - !GMPruningModifier
    params: ['model.4.weight']
    init_sparsity: __FROM_PARAM__
    final_sparsity: 0.75
    start_epoch: 1.0
    end_epoch: 3.0
    update_frequency: 0.25
  - !LearningRateFunctionModifier
    start_epoch: 0.0
    end_epoch: 4.0
    lr_func: linear
    init_lr: 0.1
    final_lr: 0.01
  - !SetLearningRateModifier
    start_epoch: 2.0
    learning_rate: 0.5
"""

CYCLIC = """\
modifiers:
  - !LearningRateFunctionModifier
    start_epoch: 0.0
    end_epoch: 3.0
    lr_func: cyclic_linear
    cycle_epochs: 1.5
    init_lr: 0.1
    final_lr: 0.01
  - !SetLearningRateModifier
    start_epoch: 3.0
    learning_rate: 0.002
"""


def batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(16, 1, 8, 8, generator=g)


def train(handle, model, epochs, *, on_epoch=None):
    """A few steps per epoch with a bounded loss (finite weights, real updates)."""
    x = batch()
    reports = []
    for epoch in range(epochs):
        model.train()
        for _ in range(handle.steps_per_epoch):
            handle.optimizer.zero_grad()
            torch.tanh(model(x)).mean().backward()
            handle.optimizer.step()
        if on_epoch:
            on_epoch(epoch)
        reports.append(handle.epoch_end(epoch))
    return reports


def sgd(model, lr=0.05):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


@pytest.mark.parametrize("recipe", [GMP_CUBIC, GLOBAL_OFF_GRID, DICT_INVERSE, FROM_PARAM_AND_LR],
                         ids=["gmp-cubic", "global-off-grid", "dict-inverse-cubic",
                              "from-param-lr"])
def test_measured_sparsity_matches_the_schedule(recipe, tiny):
    model = tiny()
    if "__FROM_PARAM__" in recipe:  # a param that starts partly sparse
        with torch.no_grad():
            model.model[4].weight[:, :50] = 0.0
    optimizer = sgd(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScheduleMismatch)
        handle = apply(recipe, model, optimizer, SPE)
        reports = train(handle, model, handle.max_epochs)
    # per-parameter predictions, or (global pruning) one prediction over all its params
    checked = [p for r in reports for pr in r.pruners for p in pr.params
               if p.expected_zeros is not None]
    checked += [pr for r in reports for pr in r.pruners
                if pr.global_sparsity and pr.expected_zeros is not None]
    assert checked, "the schedule predicted nothing: the check did not run"
    assert all(r.ok for r in reports), [w for r in reports for w in r.warnings]
    last = reports[-1]
    for pr in last.pruners:
        assert pr.expected is not None
        if pr.global_sparsity:
            assert pr.sparsity == pytest.approx(0.7, abs=1e-3)
        else:
            for p in pr.params:
                assert p.zeros == p.expected_zeros


def test_learning_rate_is_reported_and_predicted(tiny):
    model = tiny()
    handle = apply(CYCLIC, model, sgd(model, lr=0.3), SPE)
    assert handle.max_epochs == 3  # SetLearningRate at 3.0 starts when training ends
    reports = train(handle, model, handle.max_epochs + 1)  # one epoch past: the set LR holds
    assert [r.expected_lr is not None for r in reports] == [True] * len(reports)
    assert all(r.ok for r in reports), [w for r in reports for w in r.warnings]
    assert reports[2].lr == pytest.approx(0.01)  # the end of the second cycle
    assert reports[-1].lr == pytest.approx(0.002)


def test_a_tampered_model_is_reported(tiny):
    model = tiny()
    handle = apply(GMP_CUBIC, model, sgd(model), SPE)

    def tamper(epoch):
        if epoch == 1:
            with torch.no_grad():
                model.model[4].weight[:5] = 0.0  # zeros the schedule did not ask for
            for group in handle.optimizer.param_groups:
                group["lr"] = 0.123

    with pytest.warns(ScheduleMismatch) as caught:
        reports = train(handle, model, 2, on_epoch=tamper)
    assert reports[0].ok
    messages = " ".join(reports[1].warnings)
    assert "model.4.weight" in messages and "learning rate is 0.123" in messages
    assert len(caught) == len(reports[1].warnings)


def test_invalid_recipe_stops_before_anything_is_touched(tiny):
    model = tiny()
    optimizer = sgd(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(RecipeError) as info:
        apply("modifiers:\n  - !GMPruningModifier\n    final_sparsty: 0.8\n", model,
              optimizer, SPE)
    assert {d.code for d in info.value.diagnostics} >= {"RS102", "RS103"}
    assert "final_sparsty" in str(info.value)
    assert type(optimizer) is torch.optim.SGD and not model._forward_pre_hooks
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_epochs_rescale_the_recipe_first(tiny):
    model = tiny()
    handle = apply(GMP_CUBIC + "  - !EpochRangeModifier\n    start_epoch: 0.0\n"
                   "    end_epoch: 4.0\n", model, sgd(model), SPE, epochs=2)
    assert handle.max_epochs == 2
    assert "end_epoch: 1.5" in handle.finalized  # the pruner's 3 of 4 epochs → 1.5 of 2


def test_export_folds_batch_norm_and_keeps_zeros(tiny, tmp_path):
    model = tiny()
    handle = apply(GMP_CUBIC, model, sgd(model), SPE)
    train(handle, model, handle.max_epochs)
    handle.finalize()
    model.eval()
    result = export_onnx(model, batch()[:1], tmp_path / "out" / "tiny.onnx")
    assert (tmp_path / "out" / "tiny.onnx").stat().st_size == result.bytes
    assert "BatchNormalization" not in result.ops and not result.quantized
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-4
    assert {w.name for w in result.weights} == {"model.0.weight", "model.4.weight"}
    for w in result.weights:
        assert w.onnx_zeros == w.zeros and w.sparsity == pytest.approx(0.8, abs=0.01)
    assert result.gzip_bytes < result.bytes  # 80% zeros compress


def test_export_detects_lost_zeros(tiny, tmp_path, monkeypatch):
    model = tiny()
    with torch.no_grad():
        model.model[4].weight[:, :100] = 0.0
    model.eval()
    onnx_utils = require("sparseml.onnx.utils")
    original = onnx_utils.fold_conv_bns
    numpy_helper = require("onnx.numpy_helper")

    def fold_and_perturb(proto):
        folded = original(proto) or proto
        for init in folded.graph.initializer:
            arr = numpy_helper.to_array(init)
            if arr.ndim == 2:
                init.CopyFrom(numpy_helper.from_array(arr + 1e-3, init.name))
        return folded

    monkeypatch.setattr(onnx_utils, "fold_conv_bns", fold_and_perturb)
    with pytest.raises(ExportError, match="lost the pruned zeros.*model.4.weight"):
        export_onnx(model, batch()[:1], tmp_path / "tiny.onnx")


@pytest.mark.parametrize("conv_bias", [False, True], ids=["conv-no-bias", "conv-bias"])
def test_qat_export_is_quantized_and_keeps_zeros(tiny, tmp_path, conv_bias):
    recipe = GMP_CUBIC + """\
  - !QuantizationModifier
    start_epoch: 2.0
    submodules: ['model']
"""
    model = tiny(conv_bias=conv_bias)
    handle = apply(recipe, model, sgd(model), SPE)
    train(handle, model, handle.max_epochs)
    handle.finalize()
    model.eval()
    result = export_onnx(model, batch()[:1], tmp_path / "qat.onnx")
    assert result.quantized
    assert result.ops.get("QLinearConv") == 1 and result.ops.get("QLinearMatMul") == 1
    assert {w.onnx_dtype for w in result.weights} == {"uint8"}
    for w in result.weights:
        assert w.onnx_zeros >= w.zeros > 0
    assert result.max_abs_diff < 0.5  # int8 rounding vs torch's fake quantization


def test_bench_reports_both_engines(tiny, tmp_path):
    model = tiny().eval()
    path = export_onnx(model, batch()[:1], tmp_path / "m.onnx").path
    report = bench(path, batch_sizes=(1, 4), warmup=2, iterations=7)
    assert [(r.engine, r.batch_size) for r in report.results] == [
        ("onnxruntime", 1), ("onnxruntime", 4), ("deepsparse", 1), ("deepsparse", 4)]
    for r in report.results:
        assert r.skipped is None and r.iterations == 7
        assert 0 < r.min_ms <= r.median_ms <= r.p90_ms
        assert r.throughput == pytest.approx(r.batch_size * 1000.0 / r.median_ms)
    assert report.machine["cpu_count"] >= 1


def test_bench_interleaved_alternates_models_and_engines(tiny, tmp_path):
    from recipe_studio.bridge.benchmark import bench_interleaved

    first = export_onnx(tiny(0).eval(), batch()[:1], tmp_path / "a.onnx").path
    second = export_onnx(tiny(1).eval(), batch()[:1], tmp_path / "b.onnx").path
    runs = [(first, "onnxruntime"), (second, "deepsparse"), (first, "deepsparse")]
    results = bench_interleaved(runs, 4, rounds=2, iterations=3, warmup=1)
    assert [(r.engine, r.batch_size) for r in results] == [
        ("onnxruntime", 4), ("deepsparse", 4), ("deepsparse", 4)]
    for r in results:
        assert r.skipped is None and r.iterations == 6  # rounds x iterations
        assert 0 < r.min_ms <= r.median_ms <= r.p90_ms
    with pytest.raises(ValueError, match="unknown engine"):
        bench_interleaved([(first, "tensorrt")], 1)
    with pytest.raises(FileNotFoundError):
        bench_interleaved([(tmp_path / "missing.onnx", "onnxruntime")], 1)


def test_bench_interleaved_reports_a_failed_child(tmp_path):
    from recipe_studio.bridge.benchmark import bench_interleaved

    path = tmp_path / "broken.onnx"
    path.write_bytes(b"not an onnx model")
    good = tmp_path / "good.onnx"
    onnx = require("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["n", 4])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), good)
    broken, fine = bench_interleaved([(path, "onnxruntime"), (good, "onnxruntime")], 2,
                                     rounds=3, iterations=1, warmup=0)
    assert broken.median_ms is None
    assert broken.skipped.startswith("onnxruntime cannot run the model")
    assert fine.skipped is None and fine.iterations == 3  # the others are still timed


def test_bench_skips_a_batch_the_model_cannot_take(tmp_path):
    onnx = require("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "fixed",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "fixed.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    report = bench(path, ("onnxruntime",), (1, 2), warmup=0, iterations=2)
    assert report.get("onnxruntime", 1).skipped is None
    assert "fixed batch size of 1" in report.get("onnxruntime", 2).skipped
    with pytest.raises(ValueError, match="unknown engine"):
        bench(path, ("tensorrt",))


def test_require_names_the_extra():
    with pytest.raises(MissingDependency, match=r"recipe-studio\[sparseml\]"):
        require("recipe_studio_no_such_module")
