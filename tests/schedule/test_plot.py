"""`recipe-studio plot`: PNG/SVG output, atomic writes, the missing-extra message."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import recipe_studio.cli.plot  # noqa: F401  (registers `plot`)
import recipe_studio.cli.show  # noqa: F401  (registers `show`)
from recipe_studio.read.load import load
from recipe_studio.render.plot import PlotUnavailable, render_plot
from recipe_studio.schedule.simulation import simulate
from tests.conftest import ROOT
from tests.schedule.test_show import CRASHING


def test_png(cli, tmp_path: Path) -> None:
    out = tmp_path / "gmp.png"
    r = cli("plot", "examples/yolov5-gmp.yaml", "-o", out, cwd=ROOT)
    assert r.code == 0, r.err
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    assert f"wrote {out}" in r.err
    assert os.listdir(tmp_path) == ["gmp.png"]  # no temporary file left behind
    assert out.stat().st_mode & 0o644 == 0o644


def test_svg_has_the_curves_phases_and_events(cli, tmp_path: Path) -> None:
    out = tmp_path / "pq.svg"
    r = cli("plot", "examples/prune-quantize.yaml", "--output", out, "--steps-per-epoch", "2",
            cwd=ROOT)
    assert r.code == 0, r.err
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for text in ("prune-quantize.yaml", "pruning", "recovery", "QAT", "learning rate",
                 "#4 GlobalMagnitudePruning: 0.05→0.85 cubic, every 1 ep",
                 "QAT starts 45, BN stats frozen 48, observers disabled 49", "85%",
                 "50 epochs × 2 steps per epoch (100 steps)"):
        assert text in svg, text
    # reproducible: the same input gives the same bytes
    again = tmp_path / "again.svg"
    cli("plot", "examples/prune-quantize.yaml", "-o", again, "--steps-per-epoch", "2", cwd=ROOT)
    assert again.read_bytes() == out.read_bytes()


def test_existing_file_is_replaced_atomically_and_keeps_its_mode(cli, tmp_path: Path) -> None:
    out = tmp_path / "p.png"
    out.write_bytes(b"old")
    out.chmod(0o600)
    assert cli("plot", "examples/yolov5-qat.yaml", "-o", out, cwd=ROOT).code == 0
    assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_mode & 0o777 == 0o600


def test_bad_extension_and_unwritable_target_exit_2(cli, tmp_path: Path) -> None:
    r = cli("plot", "examples/yolov5-gmp.yaml", "-o", tmp_path / "x.jpg", cwd=ROOT)
    assert r.code == 2 and ".png or .svg" in r.err and not (tmp_path / "x.jpg").exists()
    r = cli("plot", "examples/yolov5-gmp.yaml", "-o", tmp_path / "no" / "x.png", cwd=ROOT)
    assert r.code == 2 and "cannot write" in r.err


def test_recipe_errors_write_nothing(cli, tmp_path: Path) -> None:
    out = tmp_path / "b.png"
    r = cli("plot", "examples/broken.yaml", "-o", out, cwd=ROOT)
    assert r.code == 1 and "error[RS102]" in r.err and not out.exists()


def test_a_crash_is_drawn_and_exits_1(cli, tmp_path: Path) -> None:
    recipe = tmp_path / "crash.yaml"
    recipe.write_text(CRASHING)
    out = tmp_path / "crash.svg"
    r = cli("plot", recipe, "-o", out, "--steps-per-epoch", "2")
    assert r.code == 1 and "TypeError" in r.err
    assert "#0 crashes SparseML (TypeError)" in out.read_text()


def test_missing_matplotlib_names_the_extra(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises
    out = tmp_path / "p.png"
    r = cli("plot", "examples/yolov5-gmp.yaml", "-o", out, cwd=ROOT)
    assert r.code == 2 and not out.exists()
    assert "`plot` extra" in r.err and "pip install 'recipe-studio[plot]'" in r.err
    assert "Traceback" not in r.err
    schedule = simulate(load(ROOT / "examples/yolov5-gmp.yaml"), 1)
    with pytest.raises(PlotUnavailable):
        render_plot(schedule, load(ROOT / "examples/yolov5-gmp.yaml"), "png", title="x")


def test_unsupported_format_in_the_library() -> None:
    recipe = load(ROOT / "examples/yolov5-gmp.yaml")
    with pytest.raises(ValueError, match="png or svg"):
        render_plot(simulate(recipe, 1), recipe, "jpg", title="x")


@pytest.mark.slow
@pytest.mark.corpus
def test_plot_many_shapes_of_recipe(tmp_path: Path) -> None:
    """Staged, ACDC, constant, param groups, LR schedulers: every shape renders."""
    from tests.conftest import CORPUS

    names = ["sparseml__staged_recipe.md",
             "sparseml__integrations__recipes__README.md__block11.yaml",
             "sparseml__integrations__ultralytics-yolov5__recipes__yolov5s.pruned_quantized.md",
             "sparseml__docs__source__recipes.md__block01.yaml",
             "IST-DASLab-CAP__research__recipes__finetuning__finetune_100ep_lr=1e-1.yaml"]
    for name in names:
        recipe = load(CORPUS / "classic" / name)
        assert recipe.ok, name
        data = render_plot(simulate(recipe, 3), recipe, "png", title=name)
        assert data.startswith(b"\x89PNG"), name
