"""`recipe-studio show`: golden text and JSON on the examples, exit codes, options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import recipe_studio.cli.plot  # noqa: F401  (registers `plot`)
import recipe_studio.cli.show  # noqa: F401  (registers `show`)
from recipe_studio.read.load import load
from recipe_studio.schedule.simulation import simulate
from tests.conftest import ROOT

GOLDEN = Path(__file__).parent / "golden"


def check_golden(request: pytest.FixtureRequest, name: str, text: str) -> None:
    """Compare with tests/schedule/golden/<name> (rewrite with --update-golden)."""
    path = GOLDEN / name
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}: run with --update-golden"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("example", ["yolov5-gmp.yaml", "prune-quantize.yaml",
                                     "resnet-pruned.md", "yolov5-qat.yaml"])
def test_show_text_golden(cli, request, example: str) -> None:
    r = cli("show", f"examples/{example}", cwd=ROOT)
    assert r.code == 0, r.err
    check_golden(request, f"show-{example}.txt", r.out)


def test_show_json_golden(cli, request) -> None:
    r = cli("show", "examples/prune-quantize.yaml", "--steps-per-epoch", "2", "--format",
            "json", cwd=ROOT)
    assert r.code == 0, r.err
    check_golden(request, "show-prune-quantize.json", r.out)


def test_show_json_shape_and_values(cli) -> None:
    r = cli("show", "examples/prune-quantize.yaml", "--steps-per-epoch", "3", "-f", "json",
            cwd=ROOT)
    data = json.loads(r.out)
    assert list(data) == ["total_epochs", "steps_per_epoch", "modifiers", "steps"]
    assert (data["total_epochs"], data["steps_per_epoch"]) == (50, 3)
    assert all(list(m) == ["index", "type", "line", "start_epoch", "end_epoch"]
               for m in data["modifiers"])
    assert data["modifiers"][5] == {"index": 5, "type": "QuantizationModifier", "line": 50,
                                    "start_epoch": 45.0, "end_epoch": -1.0}
    steps = data["steps"]
    assert len(steps) == 150 and all(list(s) == ["step", "epoch", "lr", "sparsity"]
                                      for s in steps)
    assert steps[1] == {"step": 1, "epoch": 1 / 3, "lr": 0.05, "sparsity": {"4": 0.05}}
    schedule = simulate(load(ROOT / "examples/prune-quantize.yaml"), 3)
    for step in steps:
        k = step["step"]
        assert step["lr"] == schedule.lr.at(k)
        assert step["sparsity"]["4"] == schedule.track(4).sparsity.at(k)
    assert steps[-1]["lr"] == 1e-05 and steps[-1]["sparsity"] == {"4": 0.85}


def test_lr_is_null_until_a_modifier_writes_it(cli, tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("modifiers:\n  - !SetLearningRateModifier\n    start_epoch: 2.0\n"
                      "    learning_rate: 0.01\n  - !EpochRangeModifier\n    start_epoch: 0.0\n"
                      "    end_epoch: 3.0\n")
    data = json.loads(cli("show", recipe, "-f", "json").out)
    assert [s["lr"] for s in data["steps"]] == [None, None, 0.01]
    assert all(s["sparsity"] == {} for s in data["steps"])


def test_default_steps_per_epoch_is_announced(cli) -> None:
    r = cli("show", "examples/yolov5-gmp.yaml", cwd=ROOT)
    assert "x 1 step per epoch (default; pass --steps-per-epoch N) = 50 steps" in r.out


def test_steps_per_epoch_from_the_configuration(cli, tmp_path: Path) -> None:
    (tmp_path / ".recipe-studio.toml").write_text("steps-per-epoch = 4\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text((ROOT / "examples/yolov5-gmp.yaml").read_text())
    r = cli("show", recipe)
    # (the header wraps at the terminal's width)
    assert r.code == 0 and "x 4 steps per epoch (steps-per-epoch from" in " ".join(r.out.split())
    assert json.loads(cli("show", recipe, "-f", "json").out)["steps_per_epoch"] == 4
    assert json.loads(cli("show", recipe, "-f", "json", "--steps-per-epoch", "2").out)[
        "steps_per_epoch"] == 2


def test_variables_can_be_overridden(cli) -> None:
    r = cli("show", "examples/prune-quantize.yaml", "--var", "num_epochs=20", "-f", "json",
            cwd=ROOT)
    data = json.loads(r.out)
    assert data["total_epochs"] == 20
    assert cli("show", "examples/prune-quantize.yaml", "--var", "nope=1", cwd=ROOT).code == 1


def test_recipe_with_errors_prints_diagnostics_and_exits_1(cli) -> None:
    r = cli("show", "examples/broken.yaml", cwd=ROOT)
    assert r.code == 1 and r.out == ""
    assert "error[RS301]" in r.err and "Found 7 errors." in r.err


def test_missing_file_and_bad_options_exit_2(cli, tmp_path: Path) -> None:
    assert cli("show", tmp_path / "nope.yaml").code == 2
    assert cli("show", "examples/yolov5-gmp.yaml", "--steps-per-epoch", "0", cwd=ROOT).code == 2
    r = cli("show", "examples/yolov5-gmp.yaml", "--steps-per-epoch", "100000", cwd=ROOT)
    assert r.code == 2 and "more than the limit" in r.err


CRASHING = """modifiers:
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 1.0
    end_epoch: 3.7
    update_frequency: 0.5
    inter_func: inverse_cubic
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 5.0
"""


def test_a_recipe_that_crashes_sparseml_is_shown_and_exits_1(cli, tmp_path: Path) -> None:
    recipe = tmp_path / "crash.yaml"
    recipe.write_text(CRASHING)
    r = cli("show", recipe, "--steps-per-epoch", "2")
    assert r.code == 1
    assert "error: #0 GMPruningModifier (line 2) makes SparseML raise TypeError at epoch 4 " \
           "(step 8)" in r.out
    assert "#0 crashes" in r.out
    j = cli("show", recipe, "--steps-per-epoch", "2", "-f", "json")
    assert j.code == 1 and len(json.loads(j.out)["steps"]) == 10
    assert "TypeError at step 8" in j.err


def test_show_and_plot_do_not_import_heavy_packages() -> None:
    code = ("import sys, recipe_studio.cli.show, recipe_studio.cli.plot\n"
            "from recipe_studio.cli import main\n"
            "try:\n    main(['show', 'examples/prune-quantize.yaml'])\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('matplotlib', 'torch', 'sparseml', 'onnx') if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert "HEAVY []" in out.stdout, out.stdout[-500:] + out.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.corpus
def test_show_runs_on_every_loadable_corpus_recipe() -> None:
    import io

    from recipe_studio.render.schedule_text import render_text, schedule_json
    from tests.conftest import CORPUS

    shown = 0
    for path in sorted((CORPUS / "classic").iterdir()):
        recipe = load(path)
        if not recipe.ok:
            continue
        schedule = simulate(recipe, 2)
        out = io.StringIO()
        render_text(schedule, recipe, out, path=path.name, color=False)
        assert out.getvalue().count("\n") > 5
        assert len(schedule_json(schedule)["steps"]) == schedule.n_steps
        shown += 1
    assert shown >= 270
