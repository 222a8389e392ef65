"""Field-value cases for the differential test (SparseML vs the models).

`BASES` holds one minimal recipe per model that SparseML 1.8 loads; `SPECIAL` adds
hand-picked values per field on top of the generic pool `COMMON`. Values are plain Python
values as `yaml.safe_load` produces them. Strings that SparseML's text-level rewrites would
alter (`!name`, `eval(...)`) are deliberately absent.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

# name of the model class → (tag, minimal accepted args)
BASES: dict[str, tuple[str, dict[str, Any]]] = {
    "EpochRangeModifier": ("EpochRangeModifier", {"start_epoch": 0.0, "end_epoch": 10.0}),
    "SparsificationLoggingModifier": ("SparsificationLoggingModifier", {"start_epoch": 0.0}),
    "SetLearningRateModifier": ("SetLearningRateModifier", {"learning_rate": 0.1}),
    "LearningRateFunctionModifier": ("LearningRateFunctionModifier", {
        "lr_func": "linear", "init_lr": 0.1, "final_lr": 0.001, "start_epoch": 0.0,
        "end_epoch": 10.0}),
    "LearningRateModifier": ("LearningRateModifier", {
        "lr_class": "StepLR", "lr_kwargs": {"gamma": 0.1, "step_size": 2.0}, "init_lr": 0.1,
        "start_epoch": 0.0}),
    "SetWeightDecayModifier": ("SetWeightDecayModifier", {"weight_decay": 0.0001}),
    "TrainableParamsModifier": ("TrainableParamsModifier", {
        "params": ["re:.*conv.*"], "trainable": False}),
    "SetParamModifier": ("SetParamModifier", {"params": ["fc.bias"], "val": [0.0, 0.0]}),
    "GradualParamModifier": ("GradualParamModifier", {
        "params": ["fc.bias"], "init_val": 0.0, "final_val": 1.0, "start_epoch": 0.0,
        "end_epoch": 5.0, "update_frequency": 1.0}),
    "GMPruningModifier": ("GMPruningModifier", {
        "init_sparsity": 0.05, "final_sparsity": 0.8, "start_epoch": 0.0, "end_epoch": 10.0,
        "update_frequency": 1.0, "params": ["re:.*weight"]}),
    "MagnitudePruningModifier": ("MagnitudePruningModifier", {
        "init_sparsity": 0.05, "final_sparsity": 0.8, "start_epoch": 0.0, "end_epoch": 10.0,
        "update_frequency": 1.0, "params": "__ALL_PRUNABLE__"}),
    "GlobalMagnitudePruningModifier": ("GlobalMagnitudePruningModifier", {
        "init_sparsity": 0.05, "final_sparsity": 0.8, "start_epoch": 0.0, "end_epoch": 10.0,
        "update_frequency": 1.0, "params": ["re:.*weight"]}),
    "MovementPruningModifier": ("MovementPruningModifier", {
        "init_sparsity": 0.05, "final_sparsity": 0.8, "start_epoch": 0.0, "end_epoch": 10.0,
        "update_frequency": 1.0, "params": ["re:.*weight"]}),
    "StructuredPruningModifier": ("StructuredPruningModifier", {
        "init_sparsity": 0.05, "final_sparsity": 0.5, "start_epoch": 0.0, "end_epoch": 10.0,
        "update_frequency": 1.0}),
    "ConstantPruningModifier": ("ConstantPruningModifier", {"params": "__ALL_PRUNABLE__"}),
    "ACDCPruningModifier": ("ACDCPruningModifier", {
        "compression_sparsity": 0.9, "start_epoch": 0, "end_epoch": 10,
        "update_frequency": 2, "params": ["re:.*weight"]}),
    "MFACPruningModifier": ("MFACPruningModifier", {
        "init_sparsity": 0.05, "final_sparsity": 0.8, "start_epoch": 0.0, "end_epoch": 10.0,
        "update_frequency": 1.0, "params": ["re:.*weight"]}),
    "OBSPruningModifier": ("OBSPruningModifier", {
        "init_sparsity": 0.05, "final_sparsity": 0.8, "start_epoch": 0.0, "end_epoch": 10.0,
        "update_frequency": 1.0, "params": ["re:.*weight"]}),
    "RigLPruningModifier": ("RigLPruningModifier", {
        "final_sparsity": 0.8, "start_epoch": 0.0, "end_epoch": 10.0, "update_frequency": 1.0,
        "params": ["re:.*weight"]}),
    "TopKASTPruningModifier": ("TopKASTPruningModifier", {
        "forward_sparsity": 0.8, "backward_sparsity": 0.6, "start_epoch": 0.0,
        "end_epoch": 10.0, "update_frequency": 1.0, "params": ["re:.*weight"]}),
    "LayerPruningModifier": ("LayerPruningModifier", {"layers": ["sections.1"]}),
    "PowerpropagationModifier": ("PowerpropagationModifier", {
        "start_epoch": 0.0, "end_epoch": 5.0, "params": ["re:.*weight"]}),
    "LayerThinningModifier": ("LayerThinningModifier", {
        "param_group_dependency_map": {"conv1.weight": ["bn1.weight", "conv2.weight"]}}),
    "QuantizationModifier": ("QuantizationModifier", {"start_epoch": 0.0}),
    "LegacyQuantizationModifier": ("QuantizationModifier", {
        "start_epoch": 0.0, "submodules": ["features"]}),
    "DistillationModifier": ("DistillationModifier", {}),
    "PerLayerDistillationModifier": ("PerLayerDistillationModifier", {}),
}

NAN = math.nan
INF = math.inf

#: values tried in every field
COMMON: list[Any] = [
    None, True, False, 0, 1, -1, -2, 3, 0.0, 0.5, 1.0, -1.0, -0.5, 2.5, 1e-05, 10**400,
    NAN, INF, -INF, "1", "0.5", "-1", "1e-5", "abc", "", " 2 ", "nan", "inf",
    [], [1], ["a"], [0.5, 0.6], [["a"], ["b"]], {}, {"a": 1}, {0.5: ["a"]},
    datetime.date(2020, 1, 1), "__ALL__", "__all_prunable__", "__FROM_PARAM__",
]

_EPOCHS = [0, 0.0, 1, 2.5, 5, 10, 10.0, 11, -1, -1.0, -0.5, -2, "3", "1e1", "-1"]
_SPARSITY = [0.0, 0.05, 0.5, 0.8, 0.999, 1.0, 1, 0, "0.8", "8e-1", 0.8000001, [0.5, 0.9],
             [0.5, 1.0], {0.9: ["a", "b"]}, {0.9: "ab"}, {0.9: 5}, {1.0: ["a"]},
             {"x": []}, {"x": ["a"]}, {0.9: None}, {0.5: [], 0.7: ["c"]}]
_PARAMS = ["__ALL__", "__ALL_PRUNABLE__", "__all__", "re:.*", ["re:.*"], ["a", ["b", ["c"]]],
           {"a": 1}, 0, "", False, [], None, 5, 2.5, ["a", 1]]
_BOOL = [True, False, "false", "no", "0", "f", "true", "", 0, 1, None, [], "x"]
_UPDATE_FREQ = [-1, -1.0, 0, 0.5, 1, 2, -1.5, -2, "1", "-1", True]

SPECIAL: dict[str, dict[str, list[Any]]] = {
    "*": {
        "start_epoch": _EPOCHS, "end_epoch": _EPOCHS, "update_frequency": _UPDATE_FREQ,
        "params": _PARAMS, "init_sparsity": _SPARSITY, "final_sparsity": _SPARSITY,
        "leave_enabled": _BOOL, "global_sparsity": _BOOL, "params_strict": _BOOL,
        "strict": _BOOL, "constant_logging": _BOOL, "trainable": _BOOL,
        "inter_func": ["linear", "cubic", "inverse_cubic", "Linear", "quadratic",
                       ["linear"]],
        "mask_type": ["unstructured", "block4", "2:4", "tensorrt", [1, 4], [1, 4, 1],
                      "filter", "channel", "Filter", "foo", ["filter"]],
    },
    "SetLearningRateModifier": {
        "learning_rate": [0.1, 1, 1.0, 1.5, 0, -0.1, "0.01", "1e-3", "2", "x", True, False,
                          NAN, [0.1], None],
        "param_groups": [[0], [0, 5], "x", 3],
    },
    "LearningRateFunctionModifier": {
        "lr_func": ["linear", "cosine", "cyclic_linear", "LINEAR", "step", None, ["linear"]],
        "init_lr": [0, 0.0, 1, 1.0, 1.5, -0.1, "0.05", "1e-3", "x", None, [], [0.1], {},
                    True, False, NAN],
        "final_lr": [0, 0.0, 1, 1.0, 1.5, -0.1, "0.05", "x", None, [], True, NAN],
        "cycle_epochs": [1.0, 0, -1, "x", None],
        "end_epoch": [0.0, 0.001, 10, -1, "10"],
    },
    "LearningRateModifier": {
        "lr_class": ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingWarmRestarts",
                     "steplr", "CosineAnnealingLR", None],
        "lr_kwargs": [{"gamma": 0.1, "step_size": 1.0}, {"gamma": 0.1}, {"step_size": 1},
                      {"gamma": 0.9, "milestones": [2, 4]}, {"lr_min": 0.0, "cycle_epochs": 2},
                      ["gamma", "step_size"], "gamma step_size", "gamma", None, 5, [],
                      {"gamma": 0.1, "step_size": 1, "extra": 1}],
        "init_lr": [0.1, 1, 1.5, 0, -0.1, "0.05", "x", None, True, False, NAN, [0.1]],
        "start_epoch": [0, 0.0, 1.5, -1, -1.0, "1", "0", True, INF, NAN, 10**400, -2],
    },
    "SetWeightDecayModifier": {
        "weight_decay": [0.0, 1e-4, -1.0, "x", None, [1]],
        "param_groups": [[0], "x", None],
    },
    "SetParamModifier": {"val": [0, [1.0, 2.0], None, "x"]},
    "GradualParamModifier": {
        "init_val": [0, [1.0], None, "x"], "final_val": [1, None],
        "end_epoch": [0, 0.5, 5, -1, -0.5, "6"],
        "start_epoch": [-1, 0, 4.99, 5, 6],
    },
    "GMPruningModifier": {
        "phased": [False, True, 0, 1, "", "x", None, []],
        "score_type": ["magnitude", "movement", "Magnitude", None, ""],
    },
    "StructuredPruningModifier": {
        "param_groups": [[["a", "b"]], "x", None, []],
        "params": ["__ALL_PRUNABLE__", [], None, ["a"], "x"],
    },
    "ACDCPruningModifier": {
        "start_epoch": [0, 0.0, 1, 1.5, "1", "1.5", " 2 ", "1_0", True, -1, -2, NAN, INF,
                        None, 10**400],
        "end_epoch": [10, 10.0, 10.5, "10", -1, 0, NAN, None, "x"],
        "update_frequency": [2, 2.0, 2.5, "2", -1, -2, 0, None, True, "x", 10**400],
        "compression_sparsity": [0.9, "x", None, 2],
    },
    "MFACPruningModifier": {
        "num_grads": [64, {0.5: 32}, "x"], "damp": [1e-5, "x"],
        "fisher_block_size": [2000, None, "x"], "use_gradient_buffering": [None, True, "x"],
        "available_devices": [["cpu"], "cpu"], "grad_sampler_kwargs": [{}, "x"],
    },
    "OBSPruningModifier": {
        "mask_type": ["unstructured", "block4", "Block4", "2:4", None, ["block4"]],
        "fisher_block_size": [1, 4, 8, 4.0, "4", 3, False, True, None, NAN, 0],
        "damp": [1e-7, "1e-7", "x", None, [1], " 3 "],
        "num_grads": [1024, "x"], "num_recomputations": [1, "x"],
    },
    "RigLPruningModifier": {
        "sparsity_strategy": ["erdos_renyi_kernel", "erdos_renyi", "uniform", "ERK", None,
                              ["uniform"]],
        "mask_type": ["unstructured", "block4", None],
        "momentum_buffer_reset": _BOOL,
        "final_sparsity": ["__FROM_PARAM__", "__from_param__", "x", None, 5, {0.5: ["a"]}],
        # forwarded through **kwargs to SparseML's gradual-pruning base
        "min_start": [-1, 0, 1, 5, "2", "x", None],
        "min_end": [-1, 0, 10, 11, "3", "x", None],
        "end_comparator": [-1, 0, 1, None, True, False, "x", 2, 1.0],
        "min_frequency": [-1, 0, 1, 2, None, "x", "1e-5", [0]],
        "update_frequency": [1.0, "5", "__ALL__", [1], None],
        "allow_reintroduction": [False, True, "x", 0],
        "init_sparsity": [0.5], "parent_class_kwarg_names": [["params"]], "kwargs": [1],
        "foo": [1, None], "num_grads": [1, "x"],
    },
    "TopKASTPruningModifier": {
        "forward_sparsity": [0.9, "x", None], "backward_sparsity": [0.5, None],
        "active_weight_decay": [1e-4, "x"],
    },
    "LayerPruningModifier": {"layers": _PARAMS},
    "PowerpropagationModifier": {"alpha": [1.0, 2, "x", None]},
    "LayerThinningModifier": {
        "param_group_dependency_map": [{}, {"a": ["b"]}, {"a,b": []}, {1: ["b"]},
                                       {None: []}, ["a"], None, "a", {"a": None}],
        "structure_type": ["filter", "channel", "Filter", "unstructured", None],
        "update_epochs": [None, [], [1, 2], [2, 1], [1, 1], [1, 1.0], [1.5, 3], ["a", "b"],
                          ["b", "a"], "ab", "", 0, 5, [[1]], [1, "a"], [True, 2], {1: 2},
                          [None], [-1, 0], [NAN]],
    },
    "QuantizationModifier": {
        "scheme": [None, "default", "deepsparse", "tensorrt", "TensorRT", "int8", 5, [], {},
                   {"weights": None}, {"weights": "None"}, {"weights": "null"},
                   {"input_activations": {"num_bits": 4, "symmetric": True}},
                   {"weights": {"num_bits": "4"}}, {"weights": {"num_bits": 4.5}},
                   {"weights": {"num_bits": 4.0}}, {"weights": {"num_bits": None}},
                   {"weights": {"symmetric": "yes"}}, {"weights": {"symmetric": 2}},
                   {"weights": {"strategy": "channel"}}, {"weights": {"strategy": "group"}},
                   {"weights": {"kwargs": {"a": 1}}}, {"weights": {"kwargs": {1: 1}}},
                   {"weights": {"kwargs": None}}, {"weights": {"foo": 1}}, {"weights": 5},
                   {"weights": "x"}, {"target_hardware": "deepsparse"},
                   {"target_hardware": 5}, {"foo": 1}, {1: 2}, {True: None},
                   {"output_activations": {"num_bits": 8}}],
        "scheme_overrides": [None, {}, {"fc": "deepsparse"}, {"fc": "x"}, {"fc": None},
                             {1: {"weights": None}}, {"Linear": {"weights": {"num_bits": 4}}},
                             {"fc": {"weights": {"num_bits": 4.5}}}, ["fc"], "fc"],
        "ignore": [["fc"], "x", 5],
        "disable_quantization_observer_epoch": [None, 0, 2, 3.5, -1, -2, "3", True, NAN],
        "freeze_bn_stats_epoch": [None, 0, 2, 3.5, -1, -2, "3", True, NAN],
        "model_fuse_fn_name": [None, "no_fuse", "none", 5],
        "model_fuse_fn_kwargs": [{}, None, 3], "num_calibration_steps": [None, 10, "x"],
        "end_epoch": [-1, -1.0, "-1", 0, 5, True, None],
        "start_epoch": [-1, 0, 2, 3.5, "2", "x", True],
        # legacy-only fields switch SparseML (and the catalog) to the legacy class
        "tensorrt": [True, False], "submodules": [["fc"], None], "activation_bits": [4],
    },
    "LegacyQuantizationModifier": {
        "start_epoch": [-1, 0, 2, 3.5, "2", "x", True, None, NAN],
        "submodules": [["a", "b"], [["a"]], "abc", None, [1, 2], {"a": 1}],
        "disable_quantization_observer_epoch": [None, 0, 2, -2, "3", True],
        "freeze_bn_stats_epoch": [None, 0, 2, -2, "3"],
        "end_epoch": [-1, -1.0, "-1", 0, 5],
        "activation_bits": [8, 4, "x"], "weight_bits": [8, None],
        "quantize_embeddings": _BOOL, "tensorrt": _BOOL, "reduce_range": _BOOL,
        "exclude_module_types": [["ReLU"], "x"], "model_fuse_fn_name": [None, "none", 1],
        "activation_qconfig_kwargs": [{"observer": "minmaxobserver"}, "x"],
        "scheme": [None, "default"], "ignore": [["fc"]],
    },
    "DistillationModifier": {
        "hardness": [0.5, "x", None], "temperature": [2.0, -1],
        "distill_output_keys": [["logits"], 5, None],
        "teacher_input_keys": [["input_ids"], "x"],
    },
    "PerLayerDistillationModifier": {
        "student_layer_names": [None, ["a", "b"], ["a"], "ab", "a", 5, {"a": 1, "b": 2}, [],
                                {}],
        "teacher_layer_names": [None, ["a", "b"], ["a"], "ab", 5, {"a": 1}, []],
        "gain": [1.5, "x"], "epsilon": [1e-6, None],
    },
}

#: unknown fields tried on every model
UNKNOWN_FIELDS = ["foo", "start", "final_sparsity_", "self", "kwargs"]


def candidates(model_name: str, field: str) -> list[Any]:
    """All values tried for one field of one model (special ones first, deduplicated)."""
    out: list[Any] = []
    seen: set[str] = set()
    for value in (SPECIAL.get(model_name, {}).get(field, [])
                  + SPECIAL["*"].get(field, []) + COMMON):
        key = f"{type(value).__name__}:{value!r}"
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out
