"""Tiny Hugging Face model directories for the model-aware rules: a `config.json` and a
`model.safetensors` (or shards and an index) written by hand in the safetensors format
(8-byte little-endian header length, JSON header, zero bytes for the data); nothing is
downloaded and no library is needed."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any


def write_safetensors(path: Path, tensors: dict[str, tuple[int, ...]]) -> None:
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in tensors.items():
        size = 2
        for d in shape:
            size *= d
        header[name] = {"dtype": "BF16", "shape": list(shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))


def parse_tensors(text: str) -> dict[str, tuple[int, ...]]:
    """`name 64x128` lines (`#` comments)."""
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, shape = line.split()
            out[name] = tuple(int(d) for d in shape.split("x"))
    return out


def write_hf_dir(d: Path, config: dict[str, Any], tensors: str | dict[str, tuple[int, ...]],
                 *, shards: int = 1) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "config.json").write_text(json.dumps(config))
    t = parse_tensors(tensors) if isinstance(tensors, str) else dict(tensors)
    if shards == 1:
        write_safetensors(d / "model.safetensors", t)
        return d
    names = list(t)
    weight_map = {}
    for i in range(shards):
        part = names[i::shards]
        fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(d / fname, {n: t[n] for n in part})
        weight_map.update({n: fname for n in part})
    (d / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": weight_map}))
    return d


def llama(hidden: int = 64, inter: int = 176, layers: int = 2, vocab: int = 128,
          tie: bool = False) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
    """A Llama-architecture config and its tensor shapes (transformers' names)."""
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
              "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
              "num_attention_heads": 4, "num_key_value_heads": 4, "rms_norm_eps": 1e-5,
              "vocab_size": vocab, "tie_word_embeddings": tie}
    t: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (vocab, hidden),
                                     "model.norm.weight": (hidden,)}
    if not tie:
        t["lm_head.weight"] = (vocab, hidden)
    for i in range(layers):
        p = f"model.layers.{i}."
        for n in "qkvo":
            t[p + f"self_attn.{n}_proj.weight"] = (hidden, hidden)
        t[p + "mlp.gate_proj.weight"] = (inter, hidden)
        t[p + "mlp.up_proj.weight"] = (inter, hidden)
        t[p + "mlp.down_proj.weight"] = (hidden, inter)
        t[p + "input_layernorm.weight"] = (hidden,)
        t[p + "post_attention_layernorm.weight"] = (hidden,)
    return config, t
