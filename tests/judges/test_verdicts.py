"""Handmade stage recipes with the verdicts SparseML 1.8 and llm-compressor 0.14 give them
(docs: ../shared/reference/stage-recipes.md, probes P08/P09). The ``judged`` fixture judges them
with the corpus in one worker per library and session (one import of each library)."""

from __future__ import annotations

import pytest

from tests.judges.cases import CASES


@pytest.fixture(scope="module")
def sml(judged):
    return judged("sparseml").cases


@pytest.fixture(scope="module")
def llmc(judged):
    return judged("llmcompressor").cases


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
