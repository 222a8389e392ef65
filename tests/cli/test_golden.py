"""Golden files for the human-facing CLI output on the project's examples."""

from __future__ import annotations

import os

import pytest

from tests.conftest import ROOT


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
    golden("validate_broken_json", r.out)


def test_validate_examples_clean(cli, golden):
    good = sorted(p for p in os.listdir("examples") if p != "broken.yaml")
    r = cli("validate", *[f"examples/{p}" for p in good], "--no-color")
    assert r.code == 0
    golden("validate_examples", r.out)


def test_lint_examples_clean(cli, golden):
    good = sorted(p for p in os.listdir("examples") if p != "broken.yaml")
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
