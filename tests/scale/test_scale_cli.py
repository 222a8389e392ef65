"""`recipe-studio scale` on the command line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import recipe_studio.cli.scale  # noqa: F401  (registers the command)
from recipe_studio.read.load import load
from recipe_studio.schedule.timeline import timeline
from tests.conftest import EXAMPLES


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(EXAMPLES / name, target)
    return target


def test_prints_the_scaled_recipe_and_a_summary(cli, tmp_path):
    path = copy(tmp_path, "prune-quantize.yaml")
    before = path.read_text()
    r = cli("scale", path, "--epochs", "100")
    assert r.code == 0
    assert "num_epochs: 100.0" in r.out and "eval(sparse_end + 6)" in r.out
    assert "50 → 100 epochs (×2): 5 values changed" in r.err
    assert "variable `num_epochs`" in r.err and "50.0 → 100.0" in r.err
    assert path.read_text() == before  # nothing written


def test_output_file_and_in_place(cli, tmp_path):
    path = copy(tmp_path, "yolov5-gmp.yaml")
    out = tmp_path / "scaled.yaml"
    assert cli("scale", path, "--epochs", "25", "-o", out).code == 0
    assert timeline(load(out)).max_epochs == 25
    mode = os.stat(path).st_mode
    r = cli("scale", path, "--epochs", "75", "--in-place", "--quiet")
    assert r.code == 0 and r.err == ""
    assert timeline(load(path)).max_epochs == 75 and os.stat(path).st_mode == mode
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_diff(cli, tmp_path):
    path = copy(tmp_path, "yolov5-gmp.yaml")
    r = cli("scale", path, "--epochs", "100", "--diff", "-q")
    assert r.code == 0
    assert "-    end_epoch: 30.0\n-    update_frequency: 1.0\n+    end_epoch: 60.0\n" in r.out
    assert r.out.endswith("-    end_epoch: 50.0\n+    end_epoch: 100.0\n")


def test_keep_quantization_and_round(cli, tmp_path):
    path = copy(tmp_path, "prune-quantize.yaml")
    r = cli("scale", path, "--epochs", "30", "--keep-quantization", "--round", "3")
    assert r.code == 0
    assert "QAT tail kept (5 epochs, now from epoch 25)" in r.err
    assert "update_frequency: 0.556" in r.out


def test_same_budget_says_so(cli, tmp_path):
    path = copy(tmp_path, "yolov5-gmp.yaml")
    r = cli("scale", path, "--epochs", "50")
    assert r.code == 0 and "nothing to change" in r.err
    assert r.out == path.read_text()


def test_errors(cli, tmp_path):
    broken = copy(tmp_path, "broken.yaml")
    r = cli("scale", broken, "--epochs", "10")
    assert r.code == 1 and "RS301" in r.err and "cannot scale" in r.err
    assert cli("scale", tmp_path / "missing.yaml", "--epochs", "10").code == 2
    path = copy(tmp_path, "yolov5-gmp.yaml")
    r = cli("scale", path, "--epochs", "10", "-o", "x.yaml", "--in-place")
    assert r.code == 2 and "either" in r.err
    assert cli("scale", path, "--epochs", "0").code == 1
    r = cli("scale", path, "--epochs", "10", "-o", tmp_path / "no" / "dir" / "x.yaml")
    assert r.code == 2 and "cannot write" in r.err
    assert "Traceback" not in r.err


def test_var_override_is_reported(cli, tmp_path):
    path = copy(tmp_path, "prune-quantize.yaml")
    r = cli("scale", path, "--epochs", "50", "--var", "num_epochs=100")
    assert r.code == 0
    assert "use --var num_epochs=50 with the scaled recipe" in r.err
