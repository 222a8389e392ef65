"""`--model DIR`: a Hugging Face model directory read from config.json and the safetensors
headers only (lint/hfmodel.py); the directories are written by the tests."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from recipe_studio.lint import hfmodel
from recipe_studio.lint.engine import LintSettings, lint_recipe
from recipe_studio.lint.modelinfo import ModelError, read_model
from recipe_studio.read.load import load
from tests.rules.hfdir import llama, write_hf_dir, write_safetensors


def test_single_file(tmp_path: Path) -> None:
    config, tensors = llama()
    m = read_model(write_hf_dir(tmp_path / "m", config, tensors))
    assert m.names == list(tensors)
    assert m.shapes["model.layers.1.mlp.down_proj.weight"] == (64, 176)
    assert m.hf_config["model_type"] == "llama"
    assert m.classes["model.layers.0"] == ("LlamaDecoderLayer",)
    assert m.classes["model.layers.0.mlp.up_proj"] == ("Linear",)
    assert m.classes["model.embed_tokens"] == ("Embedding",)
    assert m.classes["model.norm"] == ("LlamaRMSNorm",)
    assert m.classes[""] == ("LlamaForCausalLM",)


def test_sharded_index_and_missing_shard(tmp_path: Path) -> None:
    config, tensors = llama()
    d = write_hf_dir(tmp_path / "m", config, tensors, shards=3)
    m = read_model(d)
    assert sorted(m.names) == sorted(tensors)
    assert all(m.shapes[n] == s for n, s in tensors.items())
    # an index whose shard is absent still names the tensors, without shapes
    next(d.glob("model-00002-*.safetensors")).unlink()
    m = read_model(d)
    assert sorted(m.names) == sorted(tensors)
    assert sum(s is None for s in m.shapes.values()) == len(list(tensors)[1::3])


def test_torch_bin_index_gives_names_only(tmp_path: Path) -> None:
    config, tensors = llama()
    d = tmp_path / "m"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(config))
    (d / "pytorch_model.bin.index.json").write_text(json.dumps(
        {"weight_map": {n: "pytorch_model-00001-of-00001.bin" for n in tensors}}))
    m = read_model(d)
    assert sorted(m.names) == sorted(tensors) and set(m.shapes.values()) == {None}
    assert len(hfmodel.ct_matches(m, "re:.*q_proj")) == 2
    assert hfmodel.ct_matches(m, "Linear") is None  # no shapes: classes are not implied


def test_tied_lm_head_is_a_module(tmp_path: Path) -> None:
    config, tensors = llama(tie=True)
    assert "lm_head.weight" not in tensors
    m = read_model(write_hf_dir(tmp_path / "m", config, tensors))
    assert hfmodel.ct_matches(m, "lm_head") == ["lm_head"]
    assert m.shapes["lm_head.weight"] == (128, 64)


def test_gpt2_layers_are_conv1d(tmp_path: Path) -> None:
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}
    tensors = {"transformer.wte.weight": (50, 16), "transformer.h.0.attn.c_attn.weight": (16, 48),
               "transformer.h.0.ln_1.weight": (16,)}
    m = read_model(write_hf_dir(tmp_path / "m", config, tensors))
    assert hfmodel.ct_matches(m, "Conv1D") == ["transformer.h.0.attn.c_attn"]
    assert hfmodel.ct_matches(m, "Linear") == []          # decided: none is implied
    assert hfmodel.ct_matches(m, "GPT2Block") is None      # undecidable: not reported


@pytest.mark.parametrize("target, expected", [
    ("re:.*q_proj", 2), ("re:q_proj", 0), ("model.layers.0.self_attn.q_proj", 1),
    ("q_proj", 0), ("Linear", 15), ("LlamaDecoderLayer", 2), ("MistralDecoderLayer", 0),
    ("re:.*", 30), ("re:(", 0),
])
def test_compressed_tensors_matching(tmp_path: Path, target: str, expected: int) -> None:
    config, tensors = llama()
    m = read_model(write_hf_dir(tmp_path / "m", config, tensors))
    assert len(hfmodel.ct_matches(m, target)) == expected


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "is not a Hugging Face model directory"),
    (lambda d: (d / "config.json").write_text("{}"), "no safetensors weights"),
    (lambda d: (d / "model.safetensors").write_bytes(b"abc"), "shorter than 8 bytes"),
    (lambda d: (d / "model.safetensors").write_bytes(struct.pack("<Q", 10) + b"{}"),
     "cut short"),
    (lambda d: (d / "model.safetensors").write_bytes(struct.pack("<Q", 2**40)),
     "larger than"),
    (lambda d: (d / "model.safetensors").write_bytes(struct.pack("<Q", 4) + b"[1] "),
     "not a JSON object"),
    (lambda d: (d / "model.safetensors.index.json").write_text(json.dumps({"x": 1})),
     "has no `weight_map`"),
])
def test_errors(tmp_path: Path, setup, message: str) -> None:
    d = tmp_path / "m"
    d.mkdir()
    setup(d)
    with pytest.raises(ModelError, match=message):
        read_model(d)


def test_header_only_is_read(tmp_path: Path) -> None:
    """The data section is never read: a file truncated after its header still works."""
    d = tmp_path / "m"
    d.mkdir()
    write_safetensors(d / "model.safetensors", {"a.weight": (4000, 4000)})
    raw = (d / "model.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    (d / "model.safetensors").write_bytes(raw[:8 + n])
    assert read_model(d).shapes == {"a.weight": (4000, 4000)}


def test_rules_silent_without_hf_model_and_on_classic(tmp_path: Path) -> None:
    text = ("quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"
            "      targets: [nothing_here]\n")
    r = load(text, target="llmcompressor")
    assert not [d for d in lint_recipe(r, LintSettings(select=["RS82"], isolated=True))]
    lst = tmp_path / "names.txt"
    lst.write_text("model.layers.0.mlp.down_proj.weight 64x176\n")
    s = LintSettings(select=["RS82"], isolated=True, model=read_model(lst))
    assert not lint_recipe(r, s)  # a name list is not an HF directory
    config, tensors = llama()
    s.model = read_model(write_hf_dir(tmp_path / "m", config, tensors))
    assert [d.code for d in lint_recipe(r, s)] == ["RS820"]


def test_cli_model_dir(tmp_path: Path, cli) -> None:
    config, tensors = llama()
    d = write_hf_dir(tmp_path / "m", config, tensors)
    rec = tmp_path / "r.yaml"
    rec.write_text("quant_stage:\n  quant_modifiers:\n    QuantizationModifier:\n"
                   "      scheme: FP8_DYNAMIC\n      ignore: [lm_head, gate]\n")
    res = cli("lint", rec, "--model", d, "--target", "llmcompressor", "--format", "concise",
              "--isolated")
    assert res.code == 0 and "RS821" in res.out and "`gate` in `ignore`" in res.out, res
    empty = tmp_path / "empty"
    empty.mkdir()
    res = cli("lint", rec, "--model", empty)
    assert res.code == 2 and "not a Hugging Face model directory" in res.out + res.err
