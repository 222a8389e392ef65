"""`show` and `diff` for stage recipes: golden outputs (text and JSON) on the recipes in
tests/stage/recipes/, and the pairing of modifiers across stages."""

from __future__ import annotations

import json

import pytest

from recipe_studio.diff.stages import diff_stage_recipes, pair
from recipe_studio.read.load import load
from tests.conftest import ROOT

R = "tests/stage/recipes"


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")


def test_show_training_stage_text(cli, golden):
    r = cli("show", f"{R}/train.yaml")
    assert r.code == 0, r.out
    golden("show_stage_train", r.out)
    assert "timeline (epochs)" in r.out


def test_show_quant_text_and_json(cli, golden):
    r = cli("show", f"{R}/quant.yaml", "--target", "llmcompressor")
    assert r.code == 0, r.out
    golden("show_stage_quant", r.out)
    r = cli("show", f"{R}/quant.yaml", "-f", "json")
    assert r.code == 0
    golden("show_stage_quant_json", r.out)
    data = json.loads(r.out)
    assert data["target"] == "llmcompressor" and data["target_reason"] == "inferred"
    gptq = data["stages"][0]["modifiers"][1]
    assert gptq["schemes"] == ["W4A16 (preset)", "kv cache: float8 tensor sym"]
    assert gptq["targets"] == ["Linear"] and gptq["targets_default"]
    assert "timeline" not in data["stages"][0]


def test_show_train_json_timeline(cli):
    r = cli("show", f"{R}/train.yaml", "-f", "json")
    data = json.loads(r.out)
    assert data["target"] == "sparseml"
    assert [s["name"] for s in data["stages"]] == ["oneshot", "train"]
    assert data["stages"][1]["timeline"] == {"epochs": 3.0, "modifiers": [
        {"type": "ConstantPruningModifier", "group": "pruning", "line": 14, "start": 0.0,
         "end": None},
        {"type": "QuantizationModifier", "group": "quant", "line": 16, "start": 3.0,
         "end": None}]}


def test_show_refuses_a_recipe_with_errors(cli):
    r = cli("show", f"{R}/train.yaml", "--target", "llmcompressor")
    assert r.code == 1 and r.out == "" and "error[RS220]" in r.err


def test_diff_text_and_json(cli, golden):
    r = cli("diff", f"{R}/quant.yaml", f"{R}/quant-b.yaml")
    assert r.code == 1
    golden("diff_stage_quant", r.out)
    r = cli("diff", f"{R}/quant.yaml", f"{R}/quant-b.yaml", "-f", "json")
    assert r.code == 1
    golden("diff_stage_quant_json", r.out)
    data = json.loads(r.out)
    assert [(c["kind"], c["what"], c["field"]) for c in data["changes"]] == [
        ("added", "stage", None), ("added", "modifier", None),
        ("changed", "modifier", "smoothing_strength"), ("changed", "modifier", "ignore"),
        ("changed", "modifier", "kv_cache_scheme"), ("changed", "modifier", "block_size")]


def test_diff_equivalent_and_mixed(cli):
    r = cli("diff", f"{R}/quant.yaml", f"{R}/quant.yaml")
    assert r.code == 0 and "equivalent" in r.out
    r = cli("diff", f"{R}/quant.yaml", "examples/prune-quantize.yaml")
    assert r.code == 2 and "not a stage recipe" in r.err


A = """\
sparsity: 0.5
prune_stage:
  obcq_modifiers:
    SparseGPTModifier: {sparsity: eval(sparsity), targets: [Linear], block_size: 128}
quant_stage:
  quant_modifiers:
    GPTQModifier:
      ignore: [lm_head]
      config_groups:
        group_0: {targets: [Linear], weights: {num_bits: 4, type: int, symmetric: true, strategy: channel}}
"""
B = """\
sparsity: 0.6
prune_stage:
  pruning_modifiers:
    SparseGPTModifier: {targets: [Linear], sparsity: eval(sparsity)}
    GPTQModifier:
      ignore: [lm_head]
      config_groups:
        group_0: {targets: [Linear], weights: {num_bits: 8, type: int, symmetric: true, strategy: channel}}
"""


def test_pairing_across_stages_groups_and_defaults():
    a = load(A, path="a.yaml", target="sparseml")
    b = load(B, path="b.yaml", target="sparseml")
    assert a.ok and b.ok, (a.diagnostics, b.diagnostics)
    assert pair(a.stage_recipe.modifiers, b.stage_recipe.modifiers) == [(0, 0), (1, 1)]
    result = diff_stage_recipes(a, b)
    got = [(c.kind, c.what, c.type, c.field, c.a, c.b, c.via_variable) for c in result.changes]
    assert got == [
        ("removed", "stage", None, None, None, None, None),
        # the group was renamed; block_size 128 is SparseGPT's default: not a difference
        ("changed", "modifier", "SparseGPTModifier", "group", "obcq", "pruning", None),
        ("changed", "modifier", "SparseGPTModifier", "sparsity", 0.5, 0.6, "sparsity"),
        # moved to another stage and group
        ("changed", "modifier", "GPTQModifier", "stage", "quant", "prune", None),
        ("changed", "modifier", "GPTQModifier", "group", "quant", "pruning", None),
        ("changed", "modifier", "GPTQModifier", "config_groups.group_0.weights.num_bits", 4, 8,
         None),
    ]
