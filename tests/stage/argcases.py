"""Generated argument sets for the stage modifiers of SparseML 1.8 and llm-compressor 0.14, one
stage recipe each, for the differential test (tests/stage/test_differential_args.py).

Field by field from the judges' dumps (recipe_studio/judges/data/<library>.json): values that
fit the field's annotation, boundary values, wrong types, None, strings for numbers, plus
unknown fields, dropped required fields and random nested quantization arguments (presets, bad
presets, num_bits/strategy/group_size/type/symmetric/dynamic/actorder/... combinations) for
the modifiers that take a scheme. Deterministic: everything derives from one seed.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[2] / "recipe_studio" / "judges" / "data"

#: a valid argument set per modifier (what a case starts from before its one change)
BASE: dict[str, dict[str, dict[str, Any]]] = {
    "sparseml": {
        "ConstantPruningModifier": {"targets": "__ALL_PRUNABLE__"},
        "MagnitudePruningModifier": {"targets": ["re:.*weight"], "init_sparsity": 0.1,
                                     "final_sparsity": 0.5, "start": 0, "end": 5, "update": 1},
        "LogarithmicEqualizationModifier": {"mappings": [[["re:.*q_proj"], "re:.*norm"]]},
        "SmoothQuantModifier": {"mappings": [[["re:.*q_proj"], "re:.*norm"]]},
        "OutputDistillationModifier": {"targets": ["re:model.layers.\\d+$"]},
        "QuantizationModifier": {"config_groups": {"group_0": {"targets": ["Linear"]}}},
        "SparseGPTModifier": {"sparsity": 0.5},
        "WandaPruningModifier": {"sparsity": 0.5},
    },
    "llmcompressor": {
        "ConstantPruningModifier": {"targets": "__ALL_PRUNABLE__"},
        "MagnitudePruningModifier": {"targets": ["re:.*weight"], "init_sparsity": 0.1,
                                     "final_sparsity": 0.5, "start": 0, "end": 5, "update": 1},
        "REAPPruningModifier": {"sparsity": 0.5},
        "SparseGPTModifier": {"sparsity": 0.5},
        "WandaPruningModifier": {"sparsity": 0.5},
    },
}

#: modifiers that need a quantization modifier after them in the recipe (llm-compressor's AWQ)
NEEDS_QUANT_AFTER = {("llmcompressor", "AWQModifier")}

_WRONG = ["abc", 1.5, True, [1], {"x": 1}, None, "", -1]
_BOOL = [True, False, "true", "yes", "no", 1, 0, 2, "abc", 1.5, None]
_INT = [0, 1, -1, 128, 1.0, 1.5, "16", "0x10", "abc", True, None, [1], 10 ** 12]
_FLOAT = [0.0, 0.5, 1.0, 1.5, -0.1, 1, "0.5", "1e-3", "abc", "nan", True, None, [0.5], 1e-9]
_STR = ["abc", "", "Linear", 5, 1.5, True, None, ["a"], {"a": 1}]
_LIST_STR = [["Linear"], [], "Linear", [1], 5, None, [None], {"a": 1}, ["a", "b"], [["a"]]]
_DICT = [{}, {"a": 1}, [], "a", None, 5, {"a": {"b": 2}}]

#: per field name: values worth trying besides the annotation's pool
SPECIAL: dict[str, list[Any]] = {
    "mask_structure": ["2:4", "0:0", "unstructured", "2:4:8", "a:b", "4", "16:32", "4:2", "0:4",
                       "2 : 4", "1:1"],
    "sparsity_profile": ["owl", "OWL", "Owl", "bad", "", None],
    "sparsity": [0.5, 0.0, 1.0, 0.99, -0.1, 1.1, [0.5, 0.6], [], [1.5], ["0.5"], "0.5", None],
    "init_sparsity": [0.0, 0.05, 1.0, -0.5, 2, "0.1"],
    "final_sparsity": [0.0, 0.9, 1.0, -0.5, 2, "0.9"],
    "actorder": ["weight", "static", "group", "dynamic", "WEIGHT", "bad", True, False, None, 1],
    "duo_scaling": [True, False, "both", "BOTH", "maybe", 1, None],
    "rotations": [["R1"], ["r1", "R2"], ["R3", "R4"], ["R5"], [], "R1", ["u", "v"], ["U"],
                  ["x"], None],
    "transform_type": ["hadamard", "random-hadamard", "random-matrix", "HADAMARD", "bad", None],
    "precision": ["float32", "float64", "bfloat16", "torch.float32", "bad", 5, None],
    "update_scheduler": ["cubic", "linear", "bad", ""],
    "comparison": ["square_head", "kl_divergence", "bad"],
    "projection": ["feature", "bad"],
    "transforms": ["softmax", ["softmax"], "bad", []],
    "batched_quantization": ["auto", "AUTO", 0, 1, 8, -1, "1", True, 1.0, None],
    "algorithm": ["smoothquant", "log_equalization", "bad"],
    "smoothing_strength": [0.0, 0.5, 1.0, -0.5, 1.5, "0.8"],
    "offload_device": ["cpu", "cuda", "cuda:0", "meta", "bad", 0, None],
    "quantize": [True, False, {}, {"config_groups": {"g": {"targets": ["Linear"]}}}, "yes", None],
    "block_size": [128, 0, -1, 1, "128", 1.5],
    "dampening_frac": [0.01, 0.0, -0.1, 1.5, "0.01", None],
    "n_grid": [20, 0, -1, 1, "20"],
    "owl_m": [5, 0, -1, "5", 1.5],
    "owl_lmbda": [0.08, 0.0, -1.0, "0.08"],
    "iters": [200, 0, -1, "200"],
    "transform_block_size": [128, 0, -1, None, "64"],
    "observer": [{"weights": "minmax"}, {"weights": "mse"}, {"weights": 5}, {"bad": "minmax"},
                 {}, "minmax", None],
    "weight_observer": ["minmax", "mse", "memoryless_minmax", "bad", None],
    "input_observer": ["minmax", "bad", None],
    "output_observer": ["minmax", "bad", None],
    "mappings": [[[["a"], "b"]], [], [["a", "b"]], [[["a"]]], "a", None, [{"smooth_layers": ["a"],
                 "balance_layers": "b"}], [{"smooth_layer": "a", "balance_layers": ["b"]}],
                 [[["a"], "b", "c"]]],
    "norm_mappings": [[{"norm": "a", "linears": ["b"]}], [], "a", None],
    "scheme_overrides": [{"Embedding": {"weights": {"num_bits": 8}}}, {"Linear": "W8A8"},
                         {"Embedding": None}, {"x": 5}, "a", None, {"Linear": "tensorrt"},
                         {"Linear": {"weights": {"num_bits": "x"}}}, {"Linear": {"bogus": 1}}],
    "targets": ["Linear", ["Linear"], "__ALL_PRUNABLE__", ["re:.*weight"], [], 5, None,
                [["a", "b"]], ["a", 1]],
    "ignore": [["lm_head"], [], "lm_head", None, [1], 5],
}

_INTERNAL = re.compile(r"_$")


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr) + type(value).__name__


def _pool(name: str, annotation: str, presets: list[str]) -> list[Any]:
    """Candidate values for one field: its special values, its annotation's pools, wrong types."""
    values: list[Any] = list(SPECIAL.get(name, []))
    ann = annotation
    literal = re.findall(r"Literal\[([^\]]*)\]", ann)
    for inner in literal:
        for lit in re.findall(r"'([^']*)'", inner):
            values += [lit, lit.upper()]
    words = set(re.findall(r"[A-Za-z_]+", ann))
    if "bool" in words:
        values += _BOOL
    if "int" in words:
        values += _INT
    if "float" in words:
        values += _FLOAT
    if "str" in words:
        values += _STR
    if words & {"list", "List"} and "str" in words:
        values += _LIST_STR
    if words & {"dict", "Dict"}:
        values += _DICT
    if name == "scheme":
        values += presets + [p.lower() for p in presets[:4]] + ["W4A15", "FP16", "bad", ""]
        values += ["default", "deepsparse", "tensorrt", "DeepSparse"]  # SparseML's legacy aliases
        values += [{"W4A16": ["Linear"]}, {"W4A16": "Linear"}, {"BAD": ["Linear"]},
                   {"weights": {"num_bits": 4}}, {}]
    if name == "kv_cache_scheme":
        values += [{"num_bits": 8, "type": "float", "strategy": "tensor", "dynamic": False},
                   {"num_bits": 8}, {}, {"bits": 8}, "FP8", None, 5]
    if name == "config_groups":
        values += [{"g": {"targets": ["Linear"]}}, {"g": {"targets": "Linear"}}, {},
                   {"g": {"weights": {"num_bits": 4}}}, {"g": ["Linear"]}, {"g": None}, None, []]
    values += _WRONG
    seen, out = set(), []
    for v in values:
        k = _key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


# -- nested quantization arguments --------------------------------------------------------------

_QARGS = {
    "num_bits": [4, 8, 16, 2, 3, 0, -1, 32, "8", 8.0, 1.5, None],
    "type": ["int", "float", "INT", "bad", None],
    "symmetric": [True, False, "yes", None, 1],
    "strategy": ["tensor", "channel", "group", "block", "token", "tensor_group", "attn_head",
                 "TENSOR", "bad", None],
    "group_size": [None, 128, 64, 0, -1, "128", 1.5, 32],
    "dynamic": [True, False, "local", "LOCAL", "bad", None],
    "actorder": [None, "weight", "static", "group", "dynamic", True, False, "bad"],
    "block_structure": ["128x128", [128, 128], [128], "bad", None, "128"],
    "observer": ["minmax", "mse", "memoryless", "bad", None],
    "observer_kwargs": [{}, {"a": 1}, None, "x"],
    "bits": [4],
}
_QARG_WEIGHTS = {"num_bits": 6, "type": 3, "symmetric": 3, "strategy": 5, "group_size": 4,
                 "dynamic": 2, "actorder": 2, "block_structure": 1, "observer": 1,
                 "observer_kwargs": 1, "bits": 0.2}


def _qargs(rng: random.Random) -> dict:
    names = list(_QARGS)
    out = {}
    for n in names:
        if rng.random() < _QARG_WEIGHTS[n] / 8:
            out[n] = rng.choice(_QARGS[n])
    # make the common coherent combinations frequent: group + size, block + structure
    if rng.random() < 0.3:
        out.update(strategy="group", group_size=rng.choice([32, 128]))
    return out


def _nested(rng: random.Random, presets: list[str]) -> dict:
    """A quantization modifier's arguments with random nested schemes."""
    roll = rng.random()
    if roll < 0.55:
        group: dict[str, Any] = {"targets": rng.choice([["Linear"], ["Linear"], "Linear", [],
                                                        ["re:.*proj"]])}
        for part in ("weights", "input_activations", "output_activations"):
            p = {"weights": 0.8, "input_activations": 0.4, "output_activations": 0.15}[part]
            if rng.random() < p:
                group[part] = _qargs(rng) if rng.random() < 0.95 else rng.choice([None, 4, "W4"])
        args: dict[str, Any] = {"config_groups": {"group_0": group}}
        if rng.random() < 0.15:
            args["scheme"] = rng.choice(presets)
        return args
    if roll < 0.75:
        return {"scheme": rng.choice(presets), "kv_cache_scheme": _qargs(rng)}
    if roll < 0.9:
        preset = rng.choice(presets + ["W4A15", "w8a8", "fp8"])
        return {"scheme": {preset: rng.choice([["Linear"], "Linear", ["re:.*proj"], []])}}
    return {"scheme": {k: v for k, v in (("weights", _qargs(rng)),
                                         ("targets", ["Linear"])) if rng.random() < 0.8}}


def _recipe(library: str, modifier: str, args: dict) -> str:
    group = {modifier: args}
    if (library, modifier) in NEEDS_QUANT_AFTER:
        group["QuantizationModifier"] = {"scheme": "W4A16"}
    data = {"test_stage": {"test_modifiers": group}}
    return yaml.safe_dump(data, sort_keys=False)


def cases(library: str, seed: int = 12) -> dict[str, str]:
    """name -> stage recipe text, for every modifier ``library`` registers."""
    dump = json.loads((DATA / f"{library}.json").read_text(encoding="utf-8"))
    presets = list(dump["compressed_tensors"]["presets"])
    rng = random.Random(f"{seed}:{library}")
    out: dict[str, str] = {}
    for modifier, info in sorted(dump["modifiers"].items()):
        base = BASE[library].get(modifier, {})
        out[f"{modifier}:base"] = _recipe(library, modifier, base)
        out[f"{modifier}:empty"] = _recipe(library, modifier, {})
        fields = {f["name"]: f for f in info["fields"]}
        for name, f in sorted(fields.items()):
            pool = _pool(name, f["annotation"], presets)
            if _INTERNAL.search(name) or name in ("model", "index", "group"):
                pool = pool[:3]  # internal state: a few values are enough
            for i, value in enumerate(pool):
                args = dict(base)
                args[name] = value
                out[f"{modifier}:{name}={_key(value)[:60]}#{i}"] = _recipe(library, modifier, args)
            if name in base:
                args = {k: v for k, v in base.items() if k != name}
                out[f"{modifier}:-{name}"] = _recipe(library, modifier, args)
        # a few fields at once (interactions: validators that read two fields, owl_m + profile, ...)
        user = [n for n in sorted(fields) if not _INTERNAL.search(n) and n not in ("model",)]
        pools = {n: _pool(n, fields[n]["annotation"], presets) for n in user}
        for i in range(40 if user else 0):
            args = dict(base)
            for n in rng.sample(user, min(len(user), rng.choice([2, 2, 3]))):
                args[n] = rng.choice(pools[n][:12])
            out[f"{modifier}:combo#{i}"] = _recipe(library, modifier, args)
        for unknown in ("bogus", "sheme", "Targets", "num_bits", "percdamp", "quantization"):
            out[f"{modifier}:+{unknown}"] = _recipe(library, modifier, {**base, unknown: 1})
        if "config_groups" in fields or "scheme" in fields:
            for i in range(160):
                args = {**base, **_nested(rng, presets)}
                if "config_groups" not in fields:
                    args.pop("config_groups", None)
                out[f"{modifier}:nested#{i}"] = _recipe(library, modifier, args)
    return out
