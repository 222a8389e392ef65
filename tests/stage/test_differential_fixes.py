"""One unit test per disagreement the generated-argument differential test
(tests/stage/test_differential_args.py) found between recipe-studio and a library's own
instantiation, each with the library's verdict as the judge gave it."""

from __future__ import annotations

import pytest

from recipe_studio.read.load import load


def _verdict(args: str, modifier: str, target: str) -> bool:
    text = f"q_stage:\n  q_modifiers:\n    {modifier}: {{{args}}}\n"
    if modifier == "AWQModifier":
        text += "    QuantizationModifier: {scheme: W4A16}\n"
    return load(text, path="x.yaml", target=target).ok


# llm-compressor's Sentinel validates as any string (llmcompressor/sentinel.py: a str schema),
# so `actorder` / `offload_device`, typed `... | Sentinel`, take any string; not a number
@pytest.mark.parametrize("args, ok", [
    ("actorder: WEIGHT", True), ("actorder: bad", True), ("actorder: ''", True),
    ("actorder: weight", True), ("actorder: 1", False), ("actorder: true", False),
])
def test_llmcompressor_gptq_actorder_takes_any_string(args, ok):
    assert _verdict(args, "GPTQModifier", "llmcompressor") is ok


@pytest.mark.parametrize("args, ok", [
    ("offload_device: cpu", True), ("offload_device: 'cuda:0'", True),
    ("offload_device: abc", True), ("offload_device: null", True), ("offload_device: 0", False),
])
def test_llmcompressor_awq_offload_device_takes_any_string(args, ok):
    assert _verdict(args, "AWQModifier", "llmcompressor") is ok


# compressed-tensors 0.19's TorchDtype: a torch dtype's name, with or without `torch.`
@pytest.mark.parametrize("modifier", ["SpinQuantModifier", "QuIPModifier"])
@pytest.mark.parametrize("args, ok", [
    ("precision: float32", True), ("precision: torch.float32", True),
    ("precision: bfloat16", True), ("precision: bad", False), ("precision: 5", False),
])
def test_llmcompressor_transform_precision_is_a_dtype_name(modifier, args, ok):
    assert _verdict(args, modifier, "llmcompressor") is ok


# SparseML 1.8's PyTorch LegacyQuantizationModifier loads `scheme` and `scheme_overrides`
# in __init__: a string must be `default`, `deepsparse` or `tensorrt`
@pytest.mark.parametrize("args, ok", [
    ("scheme: default", True), ("scheme: deepsparse", True), ("scheme: tensorrt", True),
    ("scheme: W4A16", False), ("scheme: ''", False),
    ("scheme_overrides: {Linear: deepsparse}", True), ("scheme_overrides: {Linear: W8A8}", False),
    ("scheme_overrides: {Embedding: {weights: {num_bits: 8}}}", True),
])
def test_sparseml_legacy_quantization_scheme_aliases(args, ok):
    assert _verdict(args, "LegacyQuantizationModifier", "sparseml") is ok
