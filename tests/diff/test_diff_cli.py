"""`recipe-studio diff` on the command line, and over the corpus."""

from __future__ import annotations

import json
import shutil

import pytest

import recipe_studio.cli.diff  # noqa: F401  (registers the command)
from recipe_studio.diff.semantic import diff_recipes
from recipe_studio.transform.finalize import finalize_yaml
from recipe_studio.read.load import load
from tests.conformance.corpus import CORPUS, classic
from tests.conftest import EXAMPLES


@pytest.fixture
def two(tmp_path):
    a = tmp_path / "a.yaml"
    shutil.copy(EXAMPLES / "prune-quantize.yaml", a)
    b = tmp_path / "b.yaml"
    b.write_text(a.read_text().replace("target_sparsity: 0.85", "target_sparsity: 0.9"))
    return a, b


def test_equivalent_exits_0(cli, two, tmp_path):
    a, _ = two
    c = tmp_path / "c.yaml"
    c.write_text(finalize_yaml(load(a)))
    r = cli("diff", a, c)
    assert r.code == 0
    assert "equivalent" in r.out and r.out.startswith("schedule")


def test_different_exits_1_with_summary_first(cli, two):
    a, b = two
    r = cli("diff", a, b)
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[0].startswith("schedule")
    row = next(line for line in lines if line.startswith("final sparsity"))
    assert row.split()[-3:] == ["0.85", "0.9", "*"]
    assert "~ !GlobalMagnitudePruningModifier" in r.out
    assert "final_sparsity: 0.85 → 0.9   (via `target_sparsity`)" in r.out
    assert lines[-1] == "1 difference"


def test_json(cli, two):
    a, b = two
    r = cli("diff", a, b, "--format", "json")
    assert r.code == 1
    data = json.loads(r.out)
    assert data["equivalent"] is False
    assert data["changes"] == [{
        "kind": "changed",
        "modifier": {"type": "GlobalMagnitudePruningModifier", "index_a": 4, "index_b": 4},
        "field": "final_sparsity", "a": 0.85, "b": 0.9, "via_variable": "target_sparsity"}]
    assert data["summary"]["a"]["total_epochs"] == 50


def test_var_overrides_apply_to_both(cli, two):
    a, b = two
    assert cli("diff", a, b, "--var", "target_sparsity=0.5").code == 0


def test_errors_exit_2(cli, two, tmp_path):
    a, _ = two
    r = cli("diff", a, tmp_path / "missing.yaml")
    assert r.code == 2 and "cannot compare" in r.err
    r = cli("diff", a, EXAMPLES / "broken.yaml")
    assert r.code == 2 and "RS301" in r.err
    assert "Traceback" not in r.err


@pytest.mark.slow
def test_every_corpus_recipe_is_equivalent_to_its_finalized_form():
    failures = []
    n = 0
    for e in classic():
        if not e["loads"]:
            continue
        recipe = load(CORPUS / e["file"])
        final = load(finalize_yaml(recipe), path="final.yaml")
        result = diff_recipes(recipe, final)
        n += 1
        if not result.equivalent:
            failures.append((e["file"], [c.to_dict() for c in result.changes][:2]))
    assert n == 278 and not failures, failures[:3]
