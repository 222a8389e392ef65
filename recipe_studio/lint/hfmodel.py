"""A Hugging Face model directory as module names, weight shapes and implied classes, read
from `config.json` and the safetensors *headers* only (no weights, no torch, no library).

What is read:

* `config.json` (optional when safetensors are present): `architectures`, `model_type`,
  `tie_word_embeddings`;
* `model.safetensors.index.json`: its `weight_map` names every tensor; the shards it names
  are then read for shapes when they are present (a name whose shard is missing keeps no
  shape);
* otherwise every `*.safetensors` file of the directory: the format's 8-byte little-endian
  header length, then that many bytes of JSON (`{name: {dtype, shape, data_offsets}}`);
* failing both, `pytorch_model.bin.index.json`'s `weight_map`: names without shapes (so the
  group-size rule, which needs widths, says nothing).

Module names are the prefixes of the tensor names (`model.layers.0.mlp.down_proj.weight` →
`model.layers.0.mlp.down_proj`, `model.layers.0.mlp`, ...), plus the root `""`; they match
`model.named_modules()` for the `*ForCausalLM` checkpoints transformers saves. A tied
`lm_head` (`tie_word_embeddings`, no `lm_head.weight` on disk) is added with the embedding's
shape.

Module classes are an approximation (`classes`), because class names live in Python code,
not in the checkpoint:

* a module with a 2-D `weight`: `Linear` (`Conv1D` for GPT-2-style `model_type`s, whose
  layers are transformers' `Conv1D`), or `Embedding` when its name says so (`embed`,
  `wte`, `wpe`);
* for a `<Arch>ForCausalLM` architecture, transformers' naming convention: the root is
  `<Arch>ForCausalLM`, `model` is `<Arch>Model`, each numbered child of `layers` is
  `<Arch>DecoderLayer`, `self_attn` `<Arch>Attention`, `mlp` `<Arch>MLP`, and a module with
  only a 1-D `weight` `<Arch>RMSNorm` (when the config has `rms_norm_eps`);
* everything else: unknown. Rules only report a class-name target when it cannot match:
  not implied here, while a class of the same kind (same suffix) is implied, or a
  `torch.nn` leaf class (`Linear`, `Embedding`, ...) that no module is implied to be, or a
  near-miss of an implied class name (`LlamaDecoderLayr`).
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recipe_studio.lint.modelinfo import ModelParams


class ModelError(Exception):
    """The directory cannot be read (`modelinfo` turns it into its own `ModelError`)."""

#: a header larger than this is refused (real ones are well under 10 MB)
MAX_HEADER = 100 * 1024 * 1024
_CONV1D_TYPES = {"gpt2", "openai-gpt", "imagegpt"}
_EMBED = re.compile(r"(embed|^wte$|^wpe$)", re.I)
_ARCH_SUFFIXES = ("ForCausalLM", "ForConditionalGeneration", "LMHeadModel")


def read_safetensors_header(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape from one safetensors file's header (the tensors are not read)."""
    try:
        with path.open("rb") as f:
            raw = f.read(8)
            if len(raw) != 8:
                raise ModelError(f"`{path}` is not a safetensors file (shorter than 8 bytes)")
            (n,) = struct.unpack("<Q", raw)
            if n > MAX_HEADER:
                raise ModelError(f"`{path}`: safetensors header of {n} bytes is larger than "
                                 f"the {MAX_HEADER} bytes read")
            data = f.read(n)
    except OSError as e:
        raise ModelError(f"cannot read `{path}`: {e}") from None
    if len(data) != n:
        raise ModelError(f"`{path}`: the safetensors header is cut short")
    try:
        header = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"`{path}`: the safetensors header is not JSON: {e}") from None
    if not isinstance(header, dict):
        raise ModelError(f"`{path}`: the safetensors header is not a JSON object")
    out: dict[str, tuple[int, ...]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        shape = info.get("shape") if isinstance(info, dict) else None
        if not isinstance(shape, list) or not all(isinstance(d, int) for d in shape):
            raise ModelError(f"`{path}`: tensor `{name}` has no valid shape in the header")
        out[name] = tuple(shape)
    return out


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"cannot read `{path}` as JSON: {e}") from None
    if not isinstance(data, dict):
        raise ModelError(f"`{path}` is not a JSON object")
    return data


def read_hf_dir(d: Path) -> tuple[list[str], dict[str, tuple[int, ...] | None], dict | None]:
    """Tensor names, their shapes (None: shard absent) and `config.json` (None: absent)."""
    config_path = d / "config.json"
    config = _read_json(config_path) if config_path.is_file() else None
    shapes: dict[str, tuple[int, ...] | None] = {}
    index = d / "model.safetensors.index.json"
    if index.is_file():
        weight_map = _read_json(index).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ModelError(f"`{index}` has no `weight_map`")
        headers: dict[str, dict[str, tuple[int, ...]]] = {}
        for name, shard in weight_map.items():
            if shard not in headers:
                sp = d / str(shard)
                headers[shard] = read_safetensors_header(sp) if sp.is_file() else {}
            shapes[name] = headers[shard].get(name)
    else:
        files = sorted(f for f in d.glob("*.safetensors") if f.is_file())
        for f in files:
            shapes.update(read_safetensors_header(f))
    bin_index = d / "pytorch_model.bin.index.json"
    if not shapes and bin_index.is_file():
        # a sharded torch checkpoint: its index names the tensors; shapes would need torch
        weight_map = _read_json(bin_index).get("weight_map")
        if isinstance(weight_map, dict):
            shapes = {str(n): None for n in weight_map}
    if not shapes:
        if config is None:
            raise ModelError(f"`{d}` is not a Hugging Face model directory (no config.json, "
                             "no safetensors files)")
        raise ModelError(f"`{d}` has a config.json but no safetensors weights "
                         "(`model.safetensors`, `model.safetensors.index.json`) nor "
                         "`pytorch_model.bin.index.json`: module names come from the weights' "
                         "headers")
    names = list(shapes)
    if config and config.get("tie_word_embeddings") and "lm_head.weight" not in shapes:
        embed = next((n for n in names if n.endswith("embed_tokens.weight")), None)
        if embed is not None and _arch(config):
            names.append("lm_head.weight")
            shapes["lm_head.weight"] = shapes[embed]
    return names, shapes, config


def _arch(config: dict | None) -> str | None:
    archs = (config or {}).get("architectures")
    if not isinstance(archs, list) or not archs or not isinstance(archs[0], str):
        return None
    a = archs[0]
    return a if a.endswith("ForCausalLM") else None


def implied_classes(model: ModelParams) -> dict[str, tuple[str, ...]]:
    """Module name -> the class names (own and base classes) the checkpoint implies."""
    config = model.hf_config or {}
    arch = _arch(config)
    prefix = arch.removesuffix("ForCausalLM") if arch else None
    conv1d = config.get("model_type") in _CONV1D_TYPES
    rms = "rms_norm_eps" in config
    params_of: dict[str, dict[str, tuple[int, ...] | None]] = {}
    for n in model.names:
        mod, _, leaf = n.rpartition(".")
        params_of.setdefault(mod, {})[leaf] = model.shapes.get(n)
    out: dict[str, tuple[str, ...]] = {}
    for mod in sorted(model.modules | {""}):
        cls: list[str] = []
        last = mod.rpartition(".")[2]
        params = params_of.get(mod, {})
        w = params.get("weight")
        if last == "layers" and prefix:
            cls.append("ModuleList")
        elif w is not None and len(w) == 2:
            cls.append("Embedding" if _EMBED.search(last) else "Conv1D" if conv1d else "Linear")
        elif prefix:
            parent = mod.rpartition(".")[0].rpartition(".")[2]
            if mod == "":
                cls.append(arch)  # type: ignore[arg-type]
            elif mod == "model":
                cls.append(f"{prefix}Model")
            elif last.isdigit() and parent == "layers":
                cls.append(f"{prefix}DecoderLayer")
            elif last == "self_attn":
                cls.append(f"{prefix}Attention")
            elif last == "mlp":
                cls.append(f"{prefix}MLP")
            elif w is not None and len(w) == 1 and set(params) == {"weight"} and rms:
                cls.append(f"{prefix}RMSNorm")
        if cls:
            out[mod] = tuple(cls)
    return out


#: torch.nn / transformers leaf classes: when no module is implied to be one, none is
_LEAF_CLASSES = {"Linear", "Embedding", "Conv1D", "Conv1d", "Conv2d", "Conv3d", "LayerNorm",
                 "LinearBase"}
_KIND = re.compile(r"(DecoderLayer|Attention|MLP|RMSNorm|ForCausalLM|Model)$")


def all_modules(model: ModelParams) -> list[str]:
    """Every module name, the root `""` first (the order of `named_modules()` is not kept)."""
    return ["", *sorted(model.modules)]


def ct_match_name(name: str, target: str) -> bool:
    """compressed-tensors 0.19 `match_name` (utils/match.py): `re:` → `re.match` (anchored at
    the start only), otherwise equality."""
    if target.startswith("re:"):
        try:
            return re.match(target.removeprefix("re:"), name) is not None
        except re.error:
            return False
    return target == name


def ct_matches(model: ModelParams, target: str) -> list[str] | None:
    """The module names compressed-tensors' `is_match` would select with `target` (name or
    class of the module or one of its bases); None when it cannot be decided here (a class
    name the checkpoint implies nothing about)."""
    found = [m for m in all_modules(model) if ct_match_name(m, target)
             or (not target.startswith("re:") and _class_match(model, m, target))]
    if found or target.startswith("re:") or "." in target or not _looks_like_class(target):
        return found
    implied = {c for cs in model.classes.values() for c in cs}
    if any(shape is None for shape in model.shapes.values()):
        return None  # without every shape, `Linear` and the norms cannot be told apart
    if target in _LEAF_CLASSES:
        return found
    kind = _KIND.search(target)
    if kind and any(c.endswith(kind.group(1)) for c in implied):
        return found
    import difflib

    if difflib.get_close_matches(target, sorted(implied), n=1, cutoff=0.85):
        return found  # a misspelt implied class (`LlamaDecoderLayr`)
    return None


def implied_class_names(model: ModelParams) -> list[str]:
    return sorted({c for cs in model.classes.values() for c in cs})


def _class_match(model: ModelParams, module: str, target: str) -> bool:
    cls = model.classes.get(module, ())
    return target in cls or (target == "Linear" and "LinearBase" in cls)


def _looks_like_class(target: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][A-Za-z0-9_]*", target))
