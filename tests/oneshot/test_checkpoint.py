"""Checkpoint inspection, the asked-vs-held checks and the refusal path: no llm-compressor."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from recipe_studio.oneshot.checkpoint import CheckpointError, inspect
from recipe_studio.oneshot.run import compare, format_table, matches, summarise_log
from tests.oneshot.conftest import pack_int4, write_safetensors

ROOT = Path(__file__).resolve().parents[2]
QUANT_CONFIG = {
    "quant_method": "compressed-tensors", "format": "pack-quantized",
    "quantization_status": "compressed", "ignore": ["lm_head"], "sparsity_config": {},
    "config_groups": {"group_0": {"targets": ["Linear"], "input_activations": None,
                                  "weights": {"type": "int", "num_bits": 4, "strategy": "group",
                                              "group_size": 128, "symmetric": True}}},
}


def checkpoint(root: Path, values: list[int], *, rows: int = 2, cols: int = 8) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"quantization_config": QUANT_CONFIG}))
    bf16_zero, bf16_one = b"\x00\x00", b"\x80\x3f"
    write_safetensors(root / "model.safetensors", {
        "model.layers.0.mlp.up_proj.weight_packed": ("I32", [rows, cols // 8], pack_int4(values)),
        "model.layers.0.mlp.up_proj.weight_shape": ("I64", [2], struct.pack("<2q", rows, cols)),
        "model.layers.0.mlp.up_proj.weight_scale": ("BF16", [rows, 1], bf16_one * rows),
        "lm_head.weight": ("BF16", [2, 4], bf16_zero + b"\x00\x80" + bf16_one * 6),
    })
    return root


def test_inspect_reads_config_storage_and_zeros(tmp_path):
    ck = inspect(checkpoint(tmp_path / "ck", [0, 0, 3, -2, 0, 1, 0, -8, 5, 0, 2, 7, 0, 0, 0, 1]))
    assert ck.quantization.format == "pack-quantized"
    assert ck.quantization.ignore == ["lm_head"]
    up = ck.layer("model.layers.0.mlp.up_proj")
    assert (up.storage, up.shape, up.elements, up.zeros) == ("packed int4", [2, 8], 16, 8)
    assert up.blocks_2of4 == 0.75  # [0,0,3,-2] [0,1,0,-8] [5,0,2,7] [0,0,0,1]: 3 of 4
    head = ck.layer("lm_head")
    assert (head.storage, head.zeros) == ("dense BF16", 2)  # +0 and -0
    assert ck.safetensors_bytes == (tmp_path / "ck" / "model.safetensors").stat().st_size


def test_inspect_refuses_what_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="config.json"):
        inspect(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="no \\*.safetensors"):
        inspect(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", 1 << 40))
    with pytest.raises(CheckpointError, match="header"):
        inspect(tmp_path)


ASKED_W4A16 = {"type": "GPTQModifier", "targets": ["Linear"], "ignore": ["lm_head"],
               "scheme": "W4A16", "quantization": {"config_groups": {"group_0": {
                   "targets": ["Linear"], "input_activations": None,
                   "weights": QUANT_CONFIG["config_groups"]["group_0"]["weights"]}}}}


def test_compare_holds_and_misses(tmp_path):
    ck = inspect(checkpoint(tmp_path / "ck", [0, 0, 3, -2, 0, 1, 0, -8, 5, 0, 2, 7, 0, 0, 0, 1]))
    sparse = {"type": "SparseGPTModifier", "targets": ["re:.*layers.*proj$"],
              "ignore": ["lm_head"], "sparsity": 0.5, "mask_structure": "2:4"}
    checks = {c.what: c for c in compare([sparse, ASKED_W4A16], ck, 4000)}
    assert checks["GPTQModifier W4A16: weights"].ok is True
    assert checks["GPTQModifier: targeted layers stored quantized"].ok is True
    assert checks["GPTQModifier: ignored modules"].ok is True
    assert checks["SparseGPTModifier: sparsity"].ok is True  # 8 of 16
    assert checks["SparseGPTModifier: 2:4 blocks (>= 2 zeros in 4)"].ok is False
    assert checks["sparsity_config in config.json"].held == "none written"
    asked_8bit = json.loads(json.dumps(ASKED_W4A16))
    asked_8bit["quantization"]["config_groups"]["group_0"]["weights"]["num_bits"] = 8
    (weights,) = [c for c in compare([asked_8bit], ck, 4000) if c.what.endswith("weights")]
    assert (weights.asked, weights.held, weights.ok) == ("int8 group g128 sym",
                                                        "int4 group g128 sym", False)


def test_target_matching_and_log_summary():
    assert matches("model.layers.0.mlp.up_proj", "re:.*mlp.*")
    assert matches("lm_head", "Linear") and not matches("model.embed_tokens", "Linear")
    assert matches("model.layers.0.mlp.up_proj", "up_proj")
    log = ("x | compress_module_list | INFO - Quantizing 2 module(s): ['a.q', 'a.k']\n"
           "x | GPTQ | METRIC - error 1.5\nx | GPTQ | METRIC - error 3.25\n"
           "x | compress_modules | INFO - Sparsifying a.q. using 16 samples\n")
    assert summarise_log(log) == {"sparsified": 1, "quantized": 2, "gptq_error_max": 3.25,
                                  "warnings": 0}


def cli(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "recipe_studio", "oneshot", *args],
                          capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1",
                               **(env or {})})


def test_refuses_a_recipe_with_errors_before_loading_anything(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    bad = tmp_path / "bad.yaml"
    bad.write_text("quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"
                   "      dampening_fracc: 0.1\n")
    marker = tmp_path / "started"
    # an "interpreter" that would leave a trace if anything were started
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 3\n")
    fake.chmod(0o755)
    proc = cli("--recipe", str(bad), "--model", str(model), "--output", str(tmp_path / "out"),
               env={"RECIPE_STUDIO_LLMC_PYTHON": str(fake)})
    assert proc.returncode == 1, proc.stderr
    assert "RS131" in proc.stdout and "dampening_frac" in proc.stdout
    assert "refusing to run" in proc.stderr
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_refuses_a_classic_recipe_and_usage_errors(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    proc = cli("--recipe", str(ROOT / "examples" / "yolov5-gmp.yaml"), "--model", str(model),
               "--output", str(tmp_path / "out"))
    assert proc.returncode == 1 and "refusing to run" in proc.stderr
    assert cli("--recipe", "r.yaml").returncode == 2
    assert cli("--recipe", "r.yaml", "--model", str(tmp_path), "--output", "o").returncode == 2
    good = tmp_path / "good.yaml"
    good.write_text("quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"
                    "      targets: [Linear]\n      ignore: [lm_head]\n")
    proc = cli("--recipe", str(good), "--model", str(model), "--output", str(tmp_path / "o"),
               env={"RECIPE_STUDIO_LLMC_PYTHON": str(tmp_path / "missing-python")})
    assert proc.returncode == 2 and "missing-python" in proc.stderr


def test_format_table_lists_every_check(tmp_path):
    from recipe_studio.oneshot.run import OneshotReport

    ck = inspect(checkpoint(tmp_path / "ck", [1] * 16))
    report = OneshotReport("r.yaml", "m", "o", "o/oneshot.log", {"samples": 4, "seq_len": 8,
                           "seed": 0}, 3.0, [], [ASKED_W4A16], ck, 4000,
                           summarise_log(""))
    report.checks = compare(report.asked, ck, 4000)
    table = format_table(report)
    assert "GPTQModifier W4A16: weights" in table and "held" in table
    assert report.ok and report.to_json()["bytes"]["dense"] == 4000


@pytest.mark.parametrize("use_numpy", [True, False])
def test_numpy_and_pure_python_count_alike(tmp_path, monkeypatch, use_numpy):
    import numpy  # noqa: F401  (installed wherever the tests run: a dependency of the extras)
    from recipe_studio.oneshot import checkpoint as mod

    monkeypatch.setattr(mod, "USE_NUMPY", use_numpy)
    # 12 columns: each packed row is padded to 16 nibbles (2 words)
    values = [0, 0, 3, -2, 0, 1, 0, -8, 5, 0, 2, 7] * 2
    padded = [v for i in range(2) for v in values[12 * i:12 * i + 12] + [-8] * 4]
    root = checkpoint(tmp_path / "ck", [0] * 16)
    write_safetensors(root / "model.safetensors", {
        "m.up.weight_packed": ("I32", [2, 2], pack_int4(padded)),
        "m.up.weight_shape": ("I64", [2], struct.pack("<2q", 2, 12)),
        "m.down.weight": ("F32", [2, 4], struct.pack("<8f", 0, -0.0, 1, 2, 0, 3, 0, 0)),
    })
    ck = mod.inspect(root)
    up, down = ck.layer("m.up"), ck.layer("m.down")
    assert (up.zeros, up.blocks_2of4) == (10, 4 / 6)  # per row: 2 of 3 blocks
    assert (down.zeros, down.blocks_2of4) == (5, 1.0)


def test_stage_that_selects_nothing_is_refused_before_loading_anything(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    good = tmp_path / "two.yaml"
    good.write_text("sparsity_stage:\n  sparsity_modifiers:\n    SparseGPTModifier:\n"
                    "      sparsity: 0.5\n      targets: [Linear]\nquant_stage:\n"
                    "  quant_modifiers:\n    GPTQModifier: {scheme: W4A16, targets: [Linear]}\n")
    proc = cli("--recipe", str(good), "--model", str(model), "--output", str(tmp_path / "o"),
               "--stage", "quantization",
               env={"RECIPE_STUDIO_LLMC_PYTHON": str(tmp_path / "missing-python")})
    assert proc.returncode == 2 and "selects no stage" in proc.stderr, proc.stderr
    assert "did you mean `quant`?" in proc.stderr
    # a broken stage outside the selection is not the run's business (llm-compressor drops it)
    good.write_text(good.read_text().replace("sparsity: 0.5", "sparsity: lots"))
    proc = cli("--recipe", str(good), "--model", str(model), "--output", str(tmp_path / "o"),
               "--stage", "quant",
               env={"RECIPE_STUDIO_LLMC_PYTHON": str(tmp_path / "missing-python")})
    assert proc.returncode == 2 and "missing-python" in proc.stderr, proc.stderr


def test_a_run_that_saves_no_checkpoint_is_a_oneshot_error(tmp_path, monkeypatch):
    """llm-compressor ending without a model where it says (no config.json) is the command's
    error with the log's path, never an internal error."""
    from recipe_studio.oneshot import run as run_module

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n"
                      "      scheme: W4A16\n      targets: [Linear]\n")
    monkeypatch.setattr(run_module, "_child", lambda *a, **k: {})
    with pytest.raises(run_module.OneshotError) as caught:
        run_module.run(recipe, tmp_path / "model", tmp_path / "out", stage="quant")
    assert "holds no checkpoint" in str(caught.value)
    assert "config.json" in str(caught.value)
    assert caught.value.log == os.path.join(str(tmp_path / "out"), "oneshot.log")
