"""The deployment path (issue 14): QAT-ready convnets, the NaN guard, int8 in DeepSparse."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sparseml

import torch  # noqa: E402  (the sparseml extra: missing it is a failure, not a skip)


# ----------------------------------------------------------------- model definitions


def test_resnet_parameter_counts_are_the_published_ones():
    from recipe_studio.bridge.convnets import parameter_count, resnet18, resnet50

    # torchvision's resnet18 / resnet50 (1000 classes)
    assert parameter_count(resnet18()) == 11_689_512
    assert parameter_count(resnet50()) == 25_557_032


def test_resnet_is_written_for_sparseml_fusion():
    from recipe_studio.bridge.convnets import resnet18, resnet50
    from recipe_studio.bridge.qat_guard import fused_conv_bns

    # every conv is followed by its BN: stem + 2 per basic block (8) + 3 projections
    pairs = fused_conv_bns(resnet18())
    assert len(pairs) == 1 + 16 + 3
    assert ("sections.0.0.conv2", "sections.0.0.bn2") in pairs
    assert ("sections.1.0.identity.conv", "sections.1.0.identity.bn") in pairs
    # 1 + 3 per bottleneck (16) + 4 projections
    assert len(fused_conv_bns(resnet50())) == 1 + 48 + 4
    model = resnet18()
    assert sum(1 for m in model.modules()
               if isinstance(m, torch.nn.Conv2d)) == len(fused_conv_bns(model))


def test_yolov5s_matches_the_published_architecture():
    from recipe_studio.bridge.convnets import parameter_count, yolov5s

    model = yolov5s()
    # Ultralytics' yolov5s.yaml (v6): 7,235,389 parameters ("7.2M")
    assert parameter_count(model) == 7_235_389
    kinds = [type(m).__name__ for m in model.model]
    assert kinds.count("C3") == 8 and kinds.count("SPPF") == 1 and kinds[-1] == "Detect"
    assert len(kinds) == 25
    # widths 0.50: the stem has 32 channels, the last C3 512; depth 0.33: 1-2-3-1 bottlenecks
    assert model.model[0].conv.out_channels == 32 and model.model[23].cv3.conv.out_channels == 512
    assert [len(model.model[i].m) for i in (2, 4, 6, 8)] == [1, 2, 3, 1]
    assert isinstance(model.model[0].act, torch.nn.SiLU)
    model.train()
    maps = model(torch.zeros(1, 3, 128, 128))
    assert [tuple(m.shape) for m in maps] == [(1, 3, 16, 16, 85), (1, 3, 8, 8, 85),
                                             (1, 3, 4, 4, 85)]
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 3, 128, 128))
    # (16² + 8² + 4²) cells x 3 anchors; at 640x640 this is 25200 rows
    assert tuple(out.shape) == (2, 3 * (256 + 64 + 16), 85)
    assert torch.isfinite(out).all()


# ---------------------------------------------------------------------- the NaN guard


def test_a_zero_gamma_makes_fused_qat_produce_nan():
    """The cause the guard refuses: torch's fused ConvBn QAT module divides by gamma/sigma."""
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4))
    nn.init.zeros_(model[1].weight)
    model.train()
    fused = torch.ao.quantization.fuse_modules_qat(model, [["0", "1"]])
    fused.qconfig = torch.ao.quantization.get_default_qat_qconfig("fbgemm")
    prepared = torch.ao.quantization.prepare_qat(fused)
    assert torch.isnan(prepared(torch.randn(2, 3, 8, 8))).all()


def test_qat_refuses_zero_gammas_before_training():
    from recipe_studio.bridge import apply
    from recipe_studio.bridge.convnets import resnet18
    from recipe_studio.bridge.manager import RecipeError
    from recipe_studio.bridge.qat import RESNET_QAT_RECIPE
    from recipe_studio.bridge.qat_guard import QATNotReady

    model = resnet18(num_classes=10, zero_init_residual=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(QATNotReady) as err:
        apply(RESNET_QAT_RECIPE, model, optimizer, steps_per_epoch=1)
    assert isinstance(err.value, RecipeError)  # the CLI reports it, nothing trained
    message = str(err.value)
    assert "8 problems" in message
    assert "`sections.0.0.bn2`: 64 of 64 BatchNorm gammas are 0" in message
    assert "gamma/sigma" in message
    assert {p.kind for p in err.value.problems} == {"zero-gamma"}
    # refused before SparseML touched anything: no fusion, no observers, same weights
    assert not any(hasattr(m, "weight_fake_quant") or getattr(m, "qconfig", None)
                   for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_qat_guard_reports_non_finite_weights_and_respects_no_fuse(tiny):
    from recipe_studio.bridge.qat_guard import qat_problems

    model = tiny()
    with torch.no_grad():
        model.model[1].weight.zero_()
        model.model[4].weight[0, 0] = float("nan")
        model.model[1].running_var[0] = float("inf")
    problems = qat_problems(model)
    kinds = {(p.module, p.kind) for p in problems}
    assert kinds == {("model.1", "zero-gamma"), ("model.4", "non-finite-parameter"),
                     ("model.1", "non-finite-buffer")}
    # without fusion the BN is not folded into the conv: zero gammas are harmless
    assert {p.kind for p in qat_problems(model, fuse="no_fuse")} == {
        "non-finite-parameter", "non-finite-buffer"}


def test_qat_guard_refuses_eval_mode(tiny):
    """SparseML fuses when the recipe is applied; in eval mode torch folds the BN away and
    SparseML's fused-module count fails ("Number of fused modules (9) ... expected (20)")."""
    from recipe_studio.bridge.convnets import resnet18
    from recipe_studio.bridge.qat_guard import QATNotReady, check_qat_ready

    with pytest.raises(QATNotReady, match="eval mode"):
        check_qat_ready(resnet18(num_classes=10).eval())
    check_qat_ready(resnet18(num_classes=10).eval(), fuse="no_fuse")


def test_a_healthy_model_passes_the_guard(tiny):
    from recipe_studio.bridge.convnets import resnet18
    from recipe_studio.bridge.qat_guard import qat_problems

    assert qat_problems(tiny()) == []
    assert qat_problems(resnet18(num_classes=10)) == []


def test_qat_re_exports_the_guard():
    """The guard's home is `bridge.qat_guard` (below the manager, which runs it); `bridge.qat`
    (which quantizes through the manager) and `bridge` hand out the same objects."""
    from recipe_studio import bridge
    from recipe_studio.bridge import qat, qat_guard

    guard = [n for n in qat.__all__ if hasattr(qat_guard, n)]
    assert set(guard) == {"ZERO_GAMMA", "QATNotReady", "QATProblem", "check_qat_ready",
                          "fused_conv_bns", "is_finite_output", "observer_problems",
                          "qat_problems", "quantization_fusers"}
    assert all(getattr(qat, n) is getattr(qat_guard, n) for n in guard)
    assert bridge.QATNotReady is qat_guard.QATNotReady


def test_export_refuses_nan_observers(tiny, tmp_path):
    from recipe_studio.bridge import ExportError, export_onnx
    from recipe_studio.bridge.qat import quantize

    model = tiny()
    recipe = ("modifiers:\n  - !QuantizationModifier\n    start_epoch: 0.0\n"
              "    submodules: ['model']\n")
    quantize(model, recipe, [torch.randn(4, 1, 8, 8)])
    fq = next(m for m in model.modules()
              if isinstance(m, torch.ao.quantization.FakeQuantizeBase))
    fq.scale.fill_(float("nan"))
    with pytest.raises(ExportError, match="observers hold NaN/inf"):
        export_onnx(model, torch.randn(1, 1, 8, 8), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


# ----------------------------------------------------------- the int8 pruning mask


def test_block4_zeros_counts_blocks_of_four_input_channels():
    import numpy

    from recipe_studio.bridge.export import block4_zeros

    mask = numpy.zeros((2, 6, 1, 1), dtype=bool)
    mask[0, :4] = True  # one whole block of 4 input channels
    mask[1, 4:] = True  # the short last block (input channels 4 and 5), all zero
    mask[1, 0] = True   # a lone zero: its block is not all zero
    assert block4_zeros(mask) == 6
    # the blocks run along the input channels (axis 1), not along the kernel window
    window = numpy.zeros((1, 4, 2, 2), dtype=bool)
    window[0, 0] = True
    assert block4_zeros(window) == 0
    assert block4_zeros(numpy.ones((3, 8), dtype=bool)) == 24  # linear: [out, in]
    assert block4_zeros(numpy.ones(5, dtype=bool)) == 0


def test_pruning_recipe_validates_sparsity():
    from recipe_studio.bridge.qat import INT8_MASK_TYPE, pruning_recipe

    text = pruning_recipe(0.9, INT8_MASK_TYPE)
    assert "final_sparsity: 0.9" in text and "mask_type: block4" in text
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="sparsity"):
            pruning_recipe(bad)


@pytest.mark.slow
def test_int8_mask_prunes_in_blocks_of_four_at_the_same_sparsity(tmp_path):
    """`block4` keeps the overall sparsity (every prunable weight at 90%) and puts every
    zero in a block of 4 input channels; unstructured zeros mostly are not."""
    from recipe_studio.bridge import apply_oneshot, export_onnx
    from recipe_studio.bridge.convnets import resnet18
    from recipe_studio.bridge.qat import INT8_MASK_TYPE, pruning_recipe

    fractions = {}
    for mask in ("unstructured", INT8_MASK_TYPE):
        torch.manual_seed(0)
        model = resnet18(num_classes=10).eval()
        apply_oneshot(pruning_recipe(0.9, mask), model)
        weights = [m.weight for m in model.modules()
                   if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        assert len(weights) == 21  # 20 convs + fc, each at 90%
        assert all(abs(float((w == 0).float().mean()) - 0.9) < 0.01 for w in weights)
        exported = export_onnx(model, torch.randn(1, 3, 32, 32), tmp_path / f"{mask}.onnx")
        assert exported.sparsity == pytest.approx(0.9, abs=0.002)
        fractions[mask] = exported.block4_fraction
    assert fractions[INT8_MASK_TYPE] == 1.0
    assert fractions["unstructured"] < 0.8  # about 0.9 ** 3


# ------------------------------------------------------------------ int8 in DeepSparse

#: the stated tolerance. Measured (AVX-512 VNNI, 2026-12-06, random weights): ResNet-18
#: cosine 1.0000 (max |diff| 3e-7); ResNet-50 cosine 0.967-0.9998 depending on input size and
#: pruning: a deep random network amplifies 1-LSB rounding differences between the two
#: engines' int8 kernels, so ResNet-50 does not match bit for bit
AGREEMENT = {"cosine": 0.95, "rel_rms": 0.35}


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_int8_resnet_compiles_in_deepsparse_and_matches_onnxruntime(arch, tmp_path):
    import deepsparse  # noqa: F401  (installed with the sparseml extra)
    from recipe_studio.bridge import apply_oneshot, export_onnx
    from recipe_studio.bridge import convnets
    from recipe_studio.bridge.benchmark import agreement
    from recipe_studio.bridge.qat import (
        INT8_MASK_TYPE, RESNET_QAT_RECIPE, calibrate_batch_norms, pruning_recipe, quantize)

    torch.manual_seed(0)
    model = getattr(convnets, arch)(num_classes=100)
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randn(4, 3, 32, 32, generator=gen) for _ in range(3)]
    calibrate_batch_norms(model, batches)
    sparsity = 0.9 if arch == "resnet18" else 0.0  # pruning ResNet-50 adds a minute
    if sparsity:  # pruned the way an int8 model for DeepSparse is (zeros in 1x4 blocks)
        apply_oneshot(pruning_recipe(sparsity, INT8_MASK_TYPE), model)
    quantize(model, RESNET_QAT_RECIPE, batches)
    # fused before QAT, the SparseML way: no bare BatchNorm left in the quantized part
    convs = {type(m).__name__ for m in model.sections.modules()
             if isinstance(m, torch.nn.Conv2d)}
    assert convs == {"ConvBn2d", "ConvBnReLU2d"}
    exported = export_onnx(model, torch.randn(1, 3, 32, 32), tmp_path / f"{arch}.onnx")
    assert exported.quantized
    n_convs = sum(1 for m in model.modules() if hasattr(m, "weight_fake_quant")
                  and "Conv" in type(m).__name__)
    assert exported.ops.get("QLinearConv") == n_convs
    assert "BatchNormalization" not in exported.ops
    assert exported.onnx_sparsity >= sparsity - 0.05
    if sparsity:
        assert exported.block4_fraction == 1.0
    result = agreement(exported.path, batch_size=2)
    assert result.skipped is None, result.skipped
    assert result.within(cosine=AGREEMENT["cosine"], rel_rms=AGREEMENT["rel_rms"]), result


# ------------------------------------------------------------- the demo's YOLOv5s section

#: the fields of a digits entry in demo-output/report.json (recipe_studio.bridge.demo.run)
DIGITS_FIELDS = {"accuracy", "sparsity", "onnx_bytes", "onnx_gzip_bytes", "latency_ms",
                 "quantized", "recipe", "epochs", "train_seconds", "schedule_warnings",
                 "bench", "machine"}


@pytest.mark.slow
def test_yolov5s_demo_section_schema(tmp_path):
    """The demo's YOLOv5s run with a reduced configuration (64x64, one timed run)."""
    from recipe_studio.bridge.demo import format_yolov5s_table, run_yolov5s

    lines: list[str] = []
    section = run_yolov5s(tmp_path / "yolov5s", image_size=64, batch_size=1, steps=2,
                          gmp_epochs=2, qat_epochs=1, batch_sizes=(1,), bench_iterations=1,
                          bench_warmup=0, log=lines.append)
    assert section["input"] == [1, 3, 64, 64]
    assert set(section) == {"input", "dense", "pruned", "pruned_quantized"}
    for name in ("dense", "pruned", "pruned_quantized"):
        entry = section[name]
        assert DIGITS_FIELDS <= set(entry), name
        assert entry["input"] == [1, 3, 64, 64]
        assert entry["accuracy"] is None  # synthetic data: nothing to judge
        assert set(entry["latency_ms"]) == {"onnxruntime", "deepsparse"}
        assert entry["latency_ms"]["onnxruntime"] > 0
        assert set(entry["bench"]) == {"onnxruntime@1", "deepsparse@1"}
    assert section["dense"]["sparsity"] == 0 and not section["dense"]["quantized"]
    # the guide's GMP recipe ends at 80%; QAT holds the zeros (ConstantPruningModifier)
    assert section["pruned"]["sparsity"] == pytest.approx(0.8, abs=0.01)
    assert section["pruned_quantized"]["sparsity"] == pytest.approx(0.8, abs=0.01)
    assert section["pruned_quantized"]["quantized"]
    assert (section["pruned_quantized"]["onnx_gzip_bytes"]
            < section["pruned"]["onnx_gzip_bytes"] < section["dense"]["onnx_gzip_bytes"])
    # DeepSparse runs every model, or the row says why (never a crash)
    for name in ("dense", "pruned", "pruned_quantized"):
        ds = section[name]["bench"]["deepsparse@1"]
        assert (ds["median_ms"] is not None) != bool(ds["skipped"])
    assert (tmp_path / "yolov5s" / "report.json").is_file()
    table = format_yolov5s_table(section)
    assert "pruned_quantized" in table and "13x for YOLOv5-l" in table
    assert any("rescaled to 2 epochs" in line for line in lines)
