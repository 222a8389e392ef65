"""Handmade stage recipes and deterministic mutants of them and of the corpus's stage recipes,
for the verdict comparison with the judges (tests/stage/test_fidelity.py)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import yaml

#: name -> (text, suffix)
HANDMADE: dict[str, tuple[str, str]] = {
    "gptq_w4a16": ("quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      ignore: [lm_head]\n"
                   "      scheme: W4A16\n      targets: [Linear]\n", ".yaml"),
    "gptq_lowercase_preset": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: w4a16}\n", ".yaml"),
    "gptq_fp8_dynamic": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: FP8_DYNAMIC}\n", ".yaml"),
    "gptq_scheme_dict": ("q_stage:\n  q_modifiers:\n    GPTQModifier:\n      scheme: {W4A16: Linear}\n", ".yaml"),
    "gptq_scheme_dict_bad": ("q_stage:\n  q_modifiers:\n    GPTQModifier:\n      scheme: {weights: {num_bits: 4}}\n", ".yaml"),
    "gptq_batched_zero": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {batched_quantization: 0}\n", ".yaml"),
    "gptq_actorder_weight": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {actorder: weight, scheme: W4A16}\n", ".yaml"),
    "gptq_kv_cache": ("q_stage:\n  q_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n      kv_cache_scheme: {num_bits: 8, type: float, strategy: tensor, dynamic: false, symmetric: true}\n", ".yaml"),
    "quant_scheme_and_groups": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      scheme: W8A8\n      config_groups: {g: {targets: [Linear]}}\n", ".yaml"),
    "quant_observer_conflict": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      scheme: W8A8\n      weight_observer: mse\n      observer: {weights: minmax}\n", ".yaml"),
    "quant_config_groups": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      ignore: [lm_head]\n      config_groups:\n        group_0:\n          targets: [Linear]\n          weights: {num_bits: 8, type: int, symmetric: true, strategy: channel}\n          input_activations: {num_bits: 8, type: int, symmetric: true, strategy: token, dynamic: true}\n", ".yaml"),
    "quant_group_no_size": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      config_groups:\n        g: {targets: [Linear], weights: {num_bits: 4, strategy: group}}\n", ".yaml"),
    "quant_group_size_channel": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      config_groups:\n        g: {targets: [Linear], weights: {num_bits: 4, strategy: channel, group_size: 128}}\n", ".yaml"),
    "quant_float16": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      config_groups:\n        g: {targets: [Linear], weights: {num_bits: 16, type: float}}\n", ".yaml"),
    "quant_input_channel": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      config_groups:\n        g: {targets: [Linear], input_activations: {num_bits: 8, strategy: channel}}\n", ".yaml"),
    "quant_unknown_arg": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      config_groups:\n        g: {targets: [Linear], weights: {bits: 4}}\n", ".yaml"),
    "quant_block": ("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n      config_groups:\n        g: {targets: [Linear], weights: {num_bits: 8, type: float, strategy: block, block_structure: 128x128}}\n", ".yaml"),
    "sgpt_owl_partial": ("s_stage:\n  s_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, owl_m: 5}\n", ".yaml"),
    "sgpt_mask_bad": ("s_stage:\n  s_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, mask_structure: two:four}\n", ".yaml"),
    "sgpt_no_sparsity": ("s_stage:\n  s_modifiers:\n    SparseGPTModifier: {mask_structure: '2:4'}\n", ".yaml"),
    "sgpt_sparsity_list": ("s_stage:\n  s_modifiers:\n    SparseGPTModifier: {sparsity: [0.5, 0.6], targets: Linear}\n", ".yaml"),
    "sgpt_sparsity_string": ("s_stage:\n  s_modifiers:\n    SparseGPTModifier: {sparsity: half}\n", ".yaml"),
    "wanda": ("s_stage:\n  s_modifiers:\n    WandaPruningModifier: {sparsity: 0.5, sparsity_profile: OWL, owl_m: 5, owl_lmbda: 0.08}\n", ".yaml"),
    "magnitude": ("s_stage:\n  run_type: train\n  s_modifiers:\n    MagnitudePruningModifier:\n      targets: ['re:.*weight']\n      init_sparsity: 0.1\n      final_sparsity: 0.5\n      start: 0\n      end: 5\n      update: 1\n", ".yaml"),
    "constant_eval": ("start_epoch: 2\nf_stage:\n  run_type: train\n  f_modifiers:\n    ConstantPruningModifier:\n      targets: __ALL_PRUNABLE__\n      start: eval(start_epoch * 2)\n", ".yaml"),
    "eval_undefined": ("f_stage:\n  f_modifiers:\n    ConstantPruningModifier: {targets: x, start: eval(epochs)}\n", ".yaml"),
    "eval_parens": ("n: 16\nf_stage:\n  f_modifiers:\n    ConstantPruningModifier: {targets: x, start: eval(int(n))}\n", ".yaml"),
    "eval_var_chain": ("a: eval(b * 2)\nb: 3\nf_stage:\n  f_modifiers:\n    ConstantPruningModifier: {targets: x, end: eval(a + b)}\n", ".yaml"),
    "awq_then_gptq": ("a_stage:\n  a_modifiers:\n    AWQModifier: {duo_scaling: both}\nq_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yaml"),
    "awq_duo_bad": ("a_stage:\n  a_modifiers:\n    AWQModifier: {duo_scaling: maybe}\n    QuantizationModifier: {scheme: W4A16}\n", ".yaml"),
    "autoround": ("q_stage:\n  q_modifiers:\n    AutoRoundModifier: {scheme: W4A16, iters: 10}\n", ".yaml"),
    "spinquant": ("t_stage:\n  t_modifiers:\n    SpinQuantModifier: {rotations: [r1, R2], transform_type: hadamard}\n", ".yaml"),
    "spinquant_randomize": ("t_stage:\n  t_modifiers:\n    SpinQuantModifier: {randomize: true}\n", ".yaml"),
    "quip": ("t_stage:\n  t_modifiers:\n    QuIPModifier: {rotations: [V, U], transform_type: random-matrix}\n", ".yaml"),
    "reap_bad_sparsity": ("p_stage:\n  p_modifiers:\n    REAPPruningModifier: {sparsity: 1.5}\n", ".yaml"),
    "smoothquant_mappings": ("q_stage:\n  q_modifiers:\n    SmoothQuantModifier:\n      smoothing_strength: 0.5\n      mappings:\n        - [['re:.*q_proj', 're:.*k_proj'], 're:.*input_layernorm']\n", ".yaml"),
    "logeq": ("q_stage:\n  q_modifiers:\n    LogarithmicEqualizationModifier: {mappings: [[[a], b]]}\n", ".yaml"),
    "distill": ("t_stage:\n  run_type: train\n  t_modifiers:\n    OutputDistillationModifier: {targets: [re:model.layers.\\d+$], comparison: square_head}\n", ".yaml"),
    "legacy_quant": ("q_stage:\n  q_modifiers:\n    LegacyQuantizationModifier:\n      ignore: [lm_head]\n      scheme_overrides: {Embedding: {input_activations: null, weights: {num_bits: 8, symmetric: false}}}\n", ".yaml"),
    "enabled_string": ("q_stage:\n  enabled: maybe\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yaml"),
    "stage_args": ("q_stage:\n  args: {x: 1}\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yaml"),
    "top_args_bad": ("args: 5\nq_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yaml"),
    "int_key_args": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {1: 2, scheme: W4A16}\n", ".yaml"),
    "modifier_int_name": ("q_stage:\n  q_modifiers:\n    5: {scheme: W4A16}\n", ".yaml"),
    "stage_list": ("q_stage: [1, 2]\nx_stage:\n  x_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yaml"),
    "yml_ext": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yml"),
    "json_exp": ('{"s_stage": {"s_modifiers": {"SparseGPTModifier": {"sparsity": 5e-1}}}}', ".json"),
    "json_tabs": ('{\t"s_stage": {"s_modifiers": {"SparseGPTModifier": {"sparsity":\t0.5}}}}', ".json"),
    "json_bad": ('{"s_stage": {"s_modifiers": {"SparseGPTModifier": {"sparsity": 0.5,}}}}', ".json"),
    "internal_field": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16, model: 5}\n", ".yaml"),
    "group_in_args": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16, group: x}\n", ".yaml"),
    "base_modifier": ("q_stage:\n  q_modifiers:\n    Modifier: {start: 0}\n", ".yaml"),
}

#: fields written on every kind of modifier (so a mutation can drop or misspell them)
_TYPO = str.maketrans("aeiou", "eioua")


def _mutations(data: dict, rng: random.Random) -> list[tuple[str, dict]]:
    """A few edits of one recipe's data: drop/misspell/retype a modifier argument, rename a
    modifier, break a group, add an unknown field."""
    sites = []
    for skey, stage in data.items():
        if not isinstance(stage, dict):
            continue
        for gkey, group in stage.items():
            if not isinstance(group, dict):
                continue
            for mname, args in group.items():
                if isinstance(args, dict) and isinstance(mname, str):
                    sites.append((skey, gkey, mname))
    out = []
    if not sites:
        return out
    for op in ("drop", "typo", "retype", "rename", "extra", "nested"):
        skey, gkey, mname = rng.choice(sites)
        new = copy.deepcopy(data)
        args = new[skey][gkey][mname]
        keys = [k for k in args if isinstance(k, str)]
        if op == "drop" and keys:
            del args[rng.choice(keys)]
        elif op == "typo" and keys:
            k = rng.choice(keys)
            args[k.translate(_TYPO) if k.translate(_TYPO) != k else k + "s"] = args.pop(k)
        elif op == "retype" and keys:
            k = rng.choice(keys)
            args[k] = rng.choice(["abc", 3, -1.5, [1], {"x": 1}, None, True])
        elif op == "rename":
            new[skey][gkey] = {(mname[:-8] if mname.endswith("Modifier") else mname + "X"): args,
                               **{k: v for k, v in new[skey][gkey].items() if k != mname}}
        elif op == "extra":
            args[rng.choice(["percdamp", "quantize", "block_size", "sheme", "targets", "ignore"])] = \
                rng.choice([0.01, True, "Linear", ["lm_head"]])
        elif op == "nested":
            cg = args.get("config_groups")
            if isinstance(cg, dict) and cg:
                g = cg[next(iter(cg))]
                if isinstance(g, dict) and isinstance(g.get("weights"), dict):
                    g["weights"][rng.choice(["num_bits", "strategy", "group_size", "type",
                                             "actorder", "dynamic"])] = \
                        rng.choice([4, "group", "tensor", 64, "float", True, "local", "weight"])
                else:
                    continue
            else:
                continue
        else:
            continue
        out.append((op, new))
    return out


def mutants(sources: list[tuple[str, str]], seed: int = 12) -> dict[str, tuple[str, str]]:
    """name -> (YAML text, suffix) for the mutants of (name, text) sources."""
    rng = random.Random(seed)
    out = {}
    for name, text in sources:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        for op, new in _mutations(data, rng):
            try:
                out[f"{name}~{op}"] = (yaml.safe_dump(new, sort_keys=False), ".yaml")
            except yaml.YAMLError:
                continue
    return out


def probe_cases(shared: Path) -> dict[str, tuple[str, str]]:
    """The reference's structural probe cases (../shared/reference/stage-recipes-probes/cases)."""
    root = shared / "reference" / "stage-recipes-probes" / "cases"
    if not root.is_dir():
        return {}
    return {p.stem: (p.read_text(encoding="utf-8"), p.suffix) for p in sorted(root.iterdir())
            if p.is_file()}
