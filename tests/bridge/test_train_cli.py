"""`recipe-studio train` end to end: the digits task, a user task, torchrun with 2 ranks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

pytestmark = [pytest.mark.sparseml, pytest.mark.e2e, pytest.mark.slow]

ENV = {**os.environ, "NM_DISABLE_ANALYTICS": "1", "COLUMNS": "120", "OMP_NUM_THREADS": "1"}


def run(args: list[str], cwd: Path, *, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recipe_studio", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def test_train_digits_with_epochs_rescales_exports_and_matches_the_schedule(tmp_path):
    proc = run(["train", "-r", str(EXAMPLES / "prune-quantize.yaml"), "--epochs", "6",
                "-o", "out", "-q"], tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} >= {"recipe.yaml", "model.pt", "model.onnx",
                                               "metrics.json"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 6 and metrics["rescaled_to"] == 6
    assert len(metrics["history"]) == 6 and metrics["warnings"] == []
    final = metrics["final"]
    assert final["sparsity"] == pytest.approx(0.85, abs=0.005)
    assert final["accuracy"] > 0.8
    assert metrics["export"]["quantized"] is True
    assert metrics["export"]["onnx_sparsity"] == pytest.approx(final["sparsity"], abs=0.01)
    # the finalized recipe written beside the model is what SparseML ran: 6 epochs
    assert "end_epoch: 6.0" in (out / "recipe.yaml").read_text()
    assert "epoch 6/6" in proc.stdout
    assert not (tmp_path / "sparse_logs").exists()


def test_invalid_recipe_exits_1_before_training(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("modifiers:\n  - !GMPruningModifier\n    final_sparsty: 0.8\n")
    proc = run(["train", "-r", str(bad), "-o", "out"], tmp_path)
    assert proc.returncode == 1
    assert "bad.yaml:3:5" in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("task,message", [
    ("nonexistent_module:make", "cannot import task module"),
    ("digits_but_wrong", "is not a task"),
])
def test_bad_task_is_a_usage_error(tmp_path, task, message):
    proc = run(["train", "-r", str(EXAMPLES / "yolov5-gmp.yaml"), "--task", task, "-o", "out"],
               tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_user_task_from_the_working_directory(tmp_path):
    (tmp_path / "mytask.py").write_text(textwrap.dedent("""
        import torch
        from torch import nn
        from recipe_studio.bridge import Task

        def make():
            torch.manual_seed(0)
            model = nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))
            x = torch.randn(256, 1, 4, 4)
            y = (x.sum(dim=(1, 2, 3)) > 0).long()
            loader = torch.utils.data.DataLoader(
                torch.utils.data.TensorDataset(x, y), batch_size=32)
            def evaluate(m):
                with torch.no_grad():
                    return float((m(x).argmax(1) == y).float().mean())
            return Task(model=model, train_loader=loader, evaluate=evaluate,
                        sample_input=x[:1], name="halfspace", lr=0.1)
    """))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent("""
        modifiers:
          - !GMPruningModifier
            params: ['1.weight', '3.weight']
            init_sparsity: 0.05
            final_sparsity: 0.5
            start_epoch: 0.0
            end_epoch: 2.0
            update_frequency: 0.5
          - !EpochRangeModifier
            start_epoch: 0.0
            end_epoch: 3.0
    """))
    proc = run(["train", "-r", "r.yaml", "--task", "mytask:make", "-o", "out", "-q"], tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["task"] == "halfspace" and metrics["warnings"] == []
    assert metrics["final"]["sparsity"] == pytest.approx(0.5, abs=0.01)


def test_torchrun_two_ranks_gloo_keeps_masks_identical(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    proc = subprocess.run(
        [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "recipe_studio",
         "train", "-r", str(EXAMPLES / "yolov5-gmp.yaml"), "--epochs", "3", "-o", "ddp", "-q"],
        cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout
    assert "on 2 ranks (DistributedDataParallel)" in proc.stdout
    metrics = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["warnings"] == []
    # every epoch, rank 0 compared its masks with every other rank's (all_gather)
    assert [h["check"]["masks_identical"] for h in metrics["history"]] == [True] * 3
    assert metrics["final"]["sparsity"] == pytest.approx(0.8, abs=0.005)
    # only rank 0 prints and writes
    assert proc.stdout.count("done: accuracy") == 1
