"""Handmade stage recipes with the verdicts SparseML 1.8 and llm-compressor 0.14 give them
(docs: ../shared/reference/stage-recipes.md, probes P08/P09). Each library's recipes are judged
in one worker (one import of the library) by a module-scoped fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.judges.conftest import require

GPTQ = """\
quant_stage:
  gptq_modifiers:
    GPTQModifier:
      ignore: [lm_head]
      scheme: W4A16
      targets: [Linear]
"""

# name -> (text, suffix, SparseML verdict, llm-compressor verdict); a verdict is True (loads) or
# (exception type, substring of its message)
CASES: dict[str, tuple[str, str, object, object]] = {
    "gptq": (GPTQ, ".yaml", True, True),
    "gptq_json": (
        json.dumps({"quant_stage": {"quant_modifiers": {"GPTQModifier": {"scheme": "W4A16", "targets": "Linear"}}}}),
        ".json", True, True),
    "gptq_md": ("# card\n---\n" + GPTQ + "---\ntext\n", ".md", True, True),
    "percdamp_ignored_or_forbidden": (
        "s_stage:\n  p_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, percdamp: 0.01}\n", ".yaml",
        True, ("ValidationError", "extra_forbidden")),
    "smoothquant_without_mappings": (
        "q_stage:\n  q_modifiers:\n    SmoothQuantModifier: {smoothing_strength: 0.8}\n", ".yaml",
        ("ValidationError", "mappings"), True),
    "eval_variable": (
        "strength: 0.7\nq_stage:\n  q_modifiers:\n    SmoothQuantModifier:\n"
        "      smoothing_strength: eval(strength)\n      mappings: [[['re:.*q_proj'], 're:.*norm']]\n",
        ".yaml", True, ("ValidationError", "smoothing_strength")),
    "empty_args": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {}\n", ".yaml",
                   ("ValueError", "args must be set before evaluating"), True),
    "awq_alone": ("q_stage:\n  q_modifiers:\n    AWQModifier: {duo_scaling: true}\n", ".yaml",
                  ("ValueError", "No modifier of type 'AWQModifier'"),
                  ("ValidationError", "no subsequent quantization modifier")),
    "no_stage_suffix": ("quant:\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yaml", True, True),
    "top_level_modifiers": ("q_modifiers:\n  GPTQModifier: {scheme: W4A16}\n", ".yaml",
                            ("KeyError", "stages"), True),
    "run_type_bogus": ("q_stage:\n  run_type: bogus\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n",
                       ".yaml", ("ValidationError", "run_type"), True),
    "legacy_quantization": ("q_stage:\n  q_modifiers:\n    LegacyQuantizationModifier: {start: 0}\n",
                            ".yaml", True, ("ValueError", "No modifier of type 'LegacyQuantizationModifier'")),
    "yaml_error": ("q_stage:\n\tq_modifiers: {}\n", ".yaml", ("ScannerError", ""), ("ScannerError", "")),
}


def _judge(library: str, tmp_path_factory) -> dict:
    require(library)
    from recipe_studio.judges import judge

    root = tmp_path_factory.mktemp(library)
    paths = []
    for name, (text, suffix, *_rest) in CASES.items():
        p = root / f"{name}{suffix}"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    verdicts = judge(library, paths)
    return {Path(v.path).stem: v for v in verdicts}


@pytest.fixture(scope="module")
def sml(tmp_path_factory):
    return _judge("sparseml", tmp_path_factory)


@pytest.fixture(scope="module")
def llmc(tmp_path_factory):
    return _judge("llmcompressor", tmp_path_factory)


def _check(verdict, expected) -> None:
    if expected is True:
        assert verdict.ok, verdict.error
        return
    kind, text = expected
    assert not verdict.ok
    assert verdict.error_type == kind, verdict.error
    assert text in verdict.error_message


@pytest.mark.slow
@pytest.mark.sparseml
@pytest.mark.parametrize("name", list(CASES))
def test_sparseml_verdict(sml, name):
    _check(sml[name], CASES[name][2])


@pytest.mark.slow
@pytest.mark.llmcompressor
@pytest.mark.parametrize("name", list(CASES))
def test_llmcompressor_verdict(llmc, name):
    _check(llmc[name], CASES[name][3])


@pytest.mark.slow
@pytest.mark.sparseml
def test_sparseml_record(sml):
    v = sml["gptq"]
    assert v.phase == "created"
    (stage,) = v.record["stages"]
    (mod,) = stage["modifiers"]
    # the PyTorch class MultiFrameworkObject builds; group = the stage's name (stage.py:136-140)
    assert mod["class"] == "GPTQModifierPyTorch" and mod["type"] == "GPTQModifier"
    assert mod["fields"]["group"] == "quant" and mod["fields"]["index"] == 0
    assert mod["fields"]["block_size"] == 128  # a default the class fills in
    assert mod["fields_set"] == ["group", "ignore", "index", "scheme", "targets"]
    assert v.record["recipe"]["stages"][0]["modifiers"][0]["group"] == "gptq"
    # unknown fields are dropped silently (extra='ignore')
    assert "percdamp" not in sml["percdamp_ignored_or_forbidden"].record["stages"][0]["modifiers"][0]["fields"]
    assert sml["eval_variable"].record["stages"][0]["modifiers"][0]["fields"]["smoothing_strength"] == 0.7
    assert sml["no_stage_suffix"].record["stages"] == []
    assert sml["empty_args"].phase == "evaluate"


@pytest.mark.slow
@pytest.mark.llmcompressor
def test_llmcompressor_record(llmc):
    v = llmc["gptq"]
    assert v.record["stage"] == "quant"
    (mod,) = v.record["modifiers"]
    assert mod["class"] == "GPTQModifier" and mod["group"] == "gptq"  # the *_modifiers prefix
    assert mod["fields"]["block_size"] == 128 and mod["fields"]["scheme"] == "W4A16"
    assert llmc["gptq_json"].record["modifiers"][0]["fields"]["targets"] == ["Linear"]  # validate_targets
    assert llmc["no_stage_suffix"].record["modifiers"] == []
    assert llmc["top_level_modifiers"].record["modifiers"] == []
    err = llmc["percdamp_ignored_or_forbidden"].error
    assert err["errors"][0]["loc"] == ["percdamp"] and err["errors"][0]["type"] == "extra_forbidden"
