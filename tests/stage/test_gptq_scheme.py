"""RS627 (gptq-scheme-not-preset) against SparseML 1.8 itself: a `GPTQModifier` whose `scheme`
is a string loads and creates fine, and fails when it builds its quantization modifier
(`sparseml/modifiers/quantization/gptq/base.py:174-191`, `self.scheme.keys()` on a str) unless
the string is a preset; `_build_quant_modifier` needs no model, so the real one is called.
llm-compressor 0.14 rejects such a string when it loads the recipe (RS220)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from recipe_studio.lint.engine import lint_recipe
from recipe_studio.read.load import load

SCHEMES = ["W4A61", "w4a16", "W8A8", "FP8", "int4_weights_only"]

RECIPE = """\
quant_stage:
  quant_modifiers:
    GPTQModifier:
      targets: [Linear]
      scheme: {scheme}
"""

BUILD = """
import json, sys
from sparseml.core.framework import Framework
from sparseml.core.recipe import Recipe
out = {}
for scheme in json.loads(sys.argv[1]):
    recipe = Recipe.create_instance(sys.argv[2].format(scheme=scheme))
    gptq = recipe.create_modifier(Framework.pytorch)[0].modifiers[0]
    try:
        gptq._build_quant_modifier(Framework.pytorch)
        out[scheme] = None
    except Exception as exc:
        out[scheme] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def rs627(text: str, target: str) -> list[str]:
    return [d.short() for d in lint_recipe(load(text, target=target))
            if d.code in ("RS627", "RS220")]


@pytest.mark.slow
@pytest.mark.sparseml
def test_rs627_fires_exactly_where_sparseml_gptq_fails(tmp_path):
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}
    run = subprocess.run([sys.executable, "-c", BUILD, json.dumps(SCHEMES), RECIPE],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    failures = json.loads(run.stdout.strip().splitlines()[-1])
    assert failures["W4A61"] == "AttributeError: 'str' object has no attribute 'keys'"
    for scheme in SCHEMES:
        text = RECIPE.format(scheme=scheme)
        assert load(text, target="sparseml").ok  # SparseML loads and creates it
        fired = rs627(text, "sparseml")
        assert fired == (["5:15 RS627"] if failures[scheme] else []), (scheme, failures[scheme])


def test_llmcompressor_rejects_a_non_preset_string_at_load():
    text = RECIPE.format(scheme="W4A61")
    assert not load(text, target="llmcompressor").ok
    assert rs627(text, "llmcompressor") == ["5:15 RS220"]
    assert rs627(RECIPE.format(scheme="W4A16"), "llmcompressor") == []
