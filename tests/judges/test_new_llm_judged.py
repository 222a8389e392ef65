"""Every `new --llm` template, in every option combination, as its library loads it: one
worker per library for all of them (recipe_studio/judges)."""

from __future__ import annotations

import pytest

from recipe_studio.judges import judge_texts
from recipe_studio.transform.new_llm import combinations, new_llm_recipe
from tests.conftest import require_judge as require

#: the modifier classes each template must create, in order
EXPECTED = {
    "w4a16": ["GPTQModifier"],
    "w8a8": ["SmoothQuantModifier", "GPTQModifier"],
    "fp8-dynamic": ["QuantizationModifier"],
    "2of4-w4a16": ["SparseGPTModifier", "QuantizationModifier"],
    "2of4-fp8": ["SparseGPTModifier", "QuantizationModifier"],
    "awq": ["AWQModifier", "QuantizationModifier"],
}


def _types(verdict) -> list[str]:
    rec = verdict.record
    if "stages" in rec:  # SparseML: stages with their created modifiers
        return [m["type"] for s in rec["stages"] for m in s["modifiers"]]
    return [m["type"] for m in rec.get("modifiers", [])]


@pytest.mark.slow
@pytest.mark.llmcompressor
@pytest.mark.parametrize("library", ["llmcompressor", "sparseml"])
def test_templates_load_in_their_judge(library: str) -> None:
    require(library)
    combos = [o for o in combinations() if o.target == library]
    verdicts = judge_texts(library, [new_llm_recipe(o) for o in combos], timeout=120)
    assert len(verdicts) == len(combos)
    bad = [(o, v.error) for o, v in zip(combos, verdicts) if not v.ok]
    assert not bad, bad
    for o, v in zip(combos, verdicts):
        assert _types(v) == EXPECTED[o.template], (o, _types(v))
