"""Golden files for the human-facing CLI output on the project's examples."""

from __future__ import annotations

import os

import pytest

from tests.conftest import GOLDEN_DIR, ROOT, golden_checker


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")


def test_validate_broken_text(cli, golden):
    r = cli("validate", "examples/broken.yaml", "--no-color")
    assert r.code == 1
    golden("validate_broken", r.out)


def test_validate_broken_json(cli, golden):
    r = cli("validate", "examples/broken.yaml", "-f", "json")
    assert r.code == 1
    golden("validate_broken_json", r.out)


def test_validate_examples_clean(cli, golden):
    good = sorted(p for p in os.listdir("examples")  # the recipes, not examples/custom/
                  if p != "broken.yaml" and os.path.isfile(f"examples/{p}"))
    r = cli("validate", *[f"examples/{p}" for p in good], "--no-color")
    assert r.code == 0
    golden("validate_examples", r.out)


def test_lint_examples_clean(cli, golden):
    good = sorted(p for p in os.listdir("examples")  # the recipes, not examples/custom/
                  if p != "broken.yaml" and os.path.isfile(f"examples/{p}"))
    r = cli("lint", *[f"examples/{p}" for p in good], "--no-color", "--isolated")
    assert r.code == 0, r.out
    golden("lint_examples", r.out)


def test_finalize_yaml_and_json(cli, golden):
    r = cli("finalize", "examples/prune-quantize.yaml")
    assert r.code == 0
    golden("finalize_prune_quantize", r.out)
    r = cli("finalize", "examples/prune-quantize.yaml", "--var", "num_epochs=20", "-f", "json")
    assert r.code == 0
    golden("finalize_prune_quantize_20", r.out)


@pytest.mark.parametrize("command", ["", "validate", "lint", "show"])
def test_help(cli, golden, command):
    r = cli(*([command] if command else []), "--help")
    assert r.code == 0
    golden(f"help_{command or 'root'}", r.out)


def test_lint_concise_ends_with_the_summary(cli, golden):
    r = cli("lint", "examples", "-f", "concise", "--isolated")
    assert r.code == 1
    # examples/custom/ needs its own configuration (modifier stubs), which --isolated skips
    assert r.out.splitlines()[-1] == "Found 8 errors in 2 files (6 files checked)."
    golden("lint_examples_concise", r.out)


@pytest.mark.parametrize("width", [60, 80])
def test_show_at_terminal_width(cli, golden, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    r = cli("show", "examples/prune-quantize.yaml", "--steps-per-epoch", "2")
    assert r.code == 0
    golden(f"show_prune_quantize_{width}", r.out)


def test_a_missing_golden_file_is_a_failure():
    """The fixture never writes a missing golden file and compares it with itself (its check
    outside `--update-golden`, whatever options this run has)."""
    golden = golden_checker(update=False)
    path = GOLDEN_DIR / "never-written.txt"
    assert not path.exists()
    with pytest.raises(AssertionError, match="missing golden file"):
        golden("never-written", "any text")
    assert not path.exists()
