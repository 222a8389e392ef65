"""`--model DIR` against the real thing: transformers 5 (in .venv-llmc) builds and saves a tiny
Llama, compressed-tensors 0.19's `is_match` selects modules for a set of targets, and
recipe-studio's reading of the saved directory (headers only) must select the same ones,
imply only true class names, see the same weight widths, and RS823 must list the layers
llm-compressor's own `get_layers_indivisible_by_group_size` lists. Known gap: modules without
parameters (activation functions, rotary embeddings) are not in a checkpoint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from recipe_studio.lint import hfmodel
from recipe_studio.lint.modelinfo import read_model
from tests.conftest import require_judge as require

pytestmark = [pytest.mark.slow, pytest.mark.llmcompressor]

TARGETS = ["Linear", "re:.*q_proj", "re:.*q_proj$", "q_proj", "lm_head", "re:.*mlp",
           "LlamaDecoderLayer", "LlamaAttention", "LlamaMLP", "LlamaRMSNorm", "Embedding",
           "re:model.layers.0.*", "re:.*layernorm$", "model.layers.1.mlp.down_proj",
           "MistralDecoderLayer", "Conv1D", "re:.*gate", "LlamaForCausalLM", "LlamaModel"]

#: QuantizationModifier arguments whose indivisible layers llm-compressor lists (RS823)
GROUP_CASES = {
    "w4a16": {"scheme": "W4A16", "targets": ["Linear"], "ignore": ["lm_head"]},
    "w4a16_lm_head": {"scheme": "W4A16", "targets": ["Linear"]},
    "w4a16_ignored": {"scheme": "W4A16", "targets": ["Linear"],
                      "ignore": ["lm_head", "re:.*down_proj$"]},
    "nvfp4": {"scheme": "NVFP4", "targets": ["Linear"]},
    "g48": {"config_groups": {"g": {"targets": ["re:.*mlp.*"], "weights": {
        "num_bits": 4, "type": "int", "strategy": "group", "group_size": 48}}}},
    "w8a8": {"scheme": "W8A8", "targets": ["Linear"]},
}

CHILD = r"""
import json, sys
from transformers import AutoConfig, AutoModelForCausalLM
from compressed_tensors.utils import is_match
out, targets, tie = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
c = AutoConfig.for_model("llama", hidden_size=64, intermediate_size=176, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, vocab_size=128,
                         tie_word_embeddings=tie)
m = AutoModelForCausalLM.from_config(c)
m.save_pretrained(out)
mods = dict(m.named_modules())
import copy
from compressed_tensors.quantization import apply_quantization_config
from llmcompressor.modifiers.quantization import QuantizationModifier
from llmcompressor.modifiers.quantization.group_size_validation import (
    get_layers_indivisible_by_group_size)
indivisible = {}
for name, kw in json.loads(sys.argv[4]).items():
    mod = QuantizationModifier(**kw)
    mq = copy.deepcopy(m)
    apply_quantization_config(mq, mod.resolved_config)
    indivisible[name] = sorted(f for f, _, _ in get_layers_indivisible_by_group_size(
        mq, mod.resolved_targets, mod.ignore))
print(json.dumps({
    "indivisible": indivisible,
    "matches": {t: [n for n, mod in mods.items() if is_match(n, mod, t)] for t in targets},
    "classes": {n: [k.__name__ for k in type(mod).__mro__] for n, mod in mods.items()},
    "with_params": [n for n, mod in mods.items() if next(mod.parameters(), None) is not None],
    "widths": {n: list(mod.weight.shape) for n, mod in mods.items()
               if getattr(mod, "weight", None) is not None},
}))
"""


@pytest.mark.parametrize("tie", [False, True])
def test_matches_like_compressed_tensors(tmp_path: Path, tie: bool) -> None:
    require("llmcompressor")
    from recipe_studio.judges.runner import python_for

    out = tmp_path / "model"
    proc = subprocess.run([python_for("llmcompressor"), "-c", CHILD, str(out),
                           json.dumps(TARGETS), "1" if tie else "0",
                           json.dumps(GROUP_CASES)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    real = json.loads(proc.stdout.strip().splitlines()[-1])
    model = read_model(out)
    for t in TARGETS:
        ours = hfmodel.ct_matches(model, t)
        assert ours is not None, t
        # modules without parameters (`act_fn`, `rotary_emb`) are not in a checkpoint
        assert sorted(ours) == sorted(n for n in real["matches"][t]
                                      if n in real["with_params"]), t
    for name, classes in model.classes.items():
        assert name in real["classes"], name
        assert set(classes) <= set(real["classes"][name]), name
    for name, shape in real["widths"].items():
        assert model.shapes[f"{name}.weight"] == tuple(shape), name
    # RS823 lists the layers llm-compressor's own divisibility check lists
    import yaml

    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.read.load import load

    assert real["indivisible"]["w4a16"] and real["indivisible"]["g48"]  # the test has teeth
    settings = LintSettings(select=["RS823"], isolated=True, model=model)
    for name, kw in GROUP_CASES.items():
        text = yaml.safe_dump({"quant_stage": {"quant_modifiers": {"QuantizationModifier": kw}}})
        found = lint_recipe(load(text, target="llmcompressor"), settings)
        expected = real["indivisible"][name]
        if not expected:
            assert not found, (name, [d.message for d in found])
            continue
        assert len(found) == 1, (name, expected)
        assert f"of {len(expected)} targeted layer" in found[0].message, (name, expected)
        for fqn in expected[:3]:
            assert f"`{fqn}`" in found[0].message, (name, fqn)
