"""Pruning modifiers (sparseml-recipes.md §5.5) — cases observed in SparseML 1.8."""

from __future__ import annotations

import math

from recipe_studio.models.base import CHOICE, PARAMS, RANGE, SCHEDULE, TYPE, UNKNOWN

from .util import DROP, accept, table_tests

GMP = "GMPruningModifier"
MAG = "MagnitudePruningModifier"
GLOBAL = "GlobalMagnitudePruningModifier"
MOVE = "MovementPruningModifier"
STRUCT = "StructuredPruningModifier"
CONST = "ConstantPruningModifier"
ACDC = "ACDCPruningModifier"
MFAC = "MFACPruningModifier"
OBS = "OBSPruningModifier"
RIGL = "RigLPruningModifier"
TOPK = "TopKASTPruningModifier"
LAYER = "LayerPruningModifier"
POWER = "PowerpropagationModifier"
GMP_FAMILY = [GMP, MAG, GLOBAL, MOVE, STRUCT]

ACCEPT = [
    *[(name, {}) for name in GMP_FAMILY],
    # params: falsy means __ALL_PRUNABLE__, mappings contribute their keys
    *[(GMP, {"params": p}) for p in (0, "", False, None, [], {}, {"a": 1}, "__all__",
                                     [["a"], ["b"]])],
    # final_sparsity forms
    (GMP, {"final_sparsity": [0.5, 0.6]}),
    (GMP, {"final_sparsity": []}),
    (GMP, {"final_sparsity": 0.99999}),
    (GMP, {"params": [], "final_sparsity": {0.5: ["a"]}}),
    (GMP, {"params": None, "final_sparsity": {0.5: "abc"}}),  # a string is iterated
    (GMP, {"params": 0, "final_sparsity": {"x": []}}),  # empty groups are not checked
    (GMP, {"params": [], "final_sparsity": {}}),
    (GMP, {"init_sparsity": 1.0}),
    (GMP, {"init_sparsity": 0.0}),
    (GMP, {"init_sparsity": "__FROM_PARAM__"}),
    (GMP, {"init_sparsity": 0.9, "final_sparsity": 0.5}),  # ramps down (a lint rule)
    (GMP, {"leave_enabled": False}),
    (GMP, {"leave_enabled": "x"}),
    (GMP, {"mask_type": "foo"}),  # checked at modify time only
    (GMP, {"mask_type": [1, 4, 1]}),
    (GMP, {"mask_type": 5}),
    (GMP, {"global_sparsity": "x"}),
    (GMP, {"phased": ""}),
    (GMP, {"phased": None}),
    (GMP, {"end_epoch": -1}),
    (GMP, {"end_epoch": 0}),  # E == S: accepted, crashes at train
    (GMP, {"update_frequency": 0}),
    (GMP, {"update_frequency": True}),
    (STRUCT, {"mask_type": "channel"}),
    (STRUCT, {"params": None}),
    (STRUCT, {"param_groups": "x"}),
    (STRUCT, {"final_sparsity": {0.5: ["a"]}, "params": []}),
    (CONST, {}),
    (CONST, {"update_frequency": "x"}),
    (CONST, {"start_epoch": 5, "end_epoch": -1}),
    (ACDC, {}),
    (ACDC, {"start_epoch": "1"}),  # int() of the string
    (ACDC, {"start_epoch": " 2 "}),
    (ACDC, {"update_frequency": "2"}),
    (ACDC, {"update_frequency": 2.0}),
    (ACDC, {"update_frequency": -1}),
    (ACDC, {"update_frequency": 0}),
    (ACDC, {"start_epoch": True}),
    (ACDC, {"start_epoch": -1, "end_epoch": -1}),
    (ACDC, {"compression_sparsity": "x"}),
    (ACDC, {"update_frequency": 10**400}),  # int(), then compared: fine
    (MFAC, {}),
    (MFAC, {"init_sparsity": "x", "final_sparsity": 5}),  # no GMP value checks
    (MFAC, {"inter_func": "foo"}),
    (MFAC, {"params": 0}),
    (MFAC, {"final_sparsity": {0.5: ["a"]}, "params": None}),
    (MFAC, {"num_grads": "x", "damp": "x", "use_gradient_buffering": "x"}),
    (OBS, {}),
    (OBS, {"damp": "1e-5"}),
    (OBS, {"damp": None}),
    (OBS, {"damp": [1]}),
    (OBS, {"params": ""}),
    (OBS, {"mask_type": "block4", "fisher_block_size": 4}),
    (OBS, {"mask_type": "block4", "fisher_block_size": 4.0}),
    (OBS, {"mask_type": "block4", "fisher_block_size": False}),  # False % 4 == 0
    (OBS, {"mask_type": "unstructured", "fisher_block_size": "x"}),
    (RIGL, {}),
    (RIGL, {"final_sparsity": "x"}),
    (RIGL, {"final_sparsity": None}),
    (RIGL, {"global_sparsity": True}),  # ignored
    (RIGL, {"foo": 1}),  # **kwargs: unknown fields are dropped
    (RIGL, {"inter_func": "foo"}),  # forwarded, never checked
    (RIGL, {"end_comparator": 1}),
    (RIGL, {"end_comparator": None}),
    (RIGL, {"end_comparator": -1, "end_epoch": -1}),
    (RIGL, {"end_comparator": "x", "end_epoch": -1}),
    (RIGL, {"allow_reintroduction": True, "momentum_buffer_reset": False}),
    (RIGL, {"params": None}),
    (RIGL, {"min_frequency": "1e-5", "update_frequency": "__ALL__"}),  # str < str works
    (TOPK, {}),
    (TOPK, {"forward_sparsity": "x", "mask_type": "x"}),
    (LAYER, {}),
    (LAYER, {"update_frequency": "x"}),
    (LAYER, {"end_epoch": 0}),
    (POWER, {}),
    (POWER, {"alpha": "x", "strict": None}),
    (POWER, {"end_epoch": -1}),
    (POWER, {"start_epoch": "1"}),
]

REJECT = [
    # GMP value checks
    (GMP, {"init_sparsity": 0}, TYPE, "init_sparsity", "write `0.0`"),
    (GMP, {"init_sparsity": "__from_param__"}, TYPE, "init_sparsity", "case-sensitive"),
    (GMP, {"init_sparsity": "0.05"}, TYPE, "init_sparsity", "without quotes"),
    (GMP, {"init_sparsity": True}, TYPE, "init_sparsity", "a boolean"),
    (GMP, {"init_sparsity": None}, TYPE, "init_sparsity", "got null"),
    (GMP, {"init_sparsity": math.nan}, RANGE, "init_sparsity", "within [0, 1]"),
    (GMP, {"init_sparsity": 1.5}, RANGE, "init_sparsity", "within [0, 1]"),
    (GMP, {"final_sparsity": 1.0}, RANGE, "final_sparsity", "1.0 would remove every weight"),
    (GMP, {"final_sparsity": 0.0}, RANGE, "final_sparsity", "strictly between 0 and 1"),
    (GMP, {"final_sparsity": 1}, TYPE, "final_sparsity", "rejects integers"),
    (GMP, {"final_sparsity": "0.8"}, TYPE, "final_sparsity", "without quotes"),
    (GMP, {"final_sparsity": math.nan}, RANGE, "final_sparsity", "strictly between"),
    (GMP, {"final_sparsity": [1]}, RANGE, "final_sparsity", "strictly between"),
    (GMP, {"final_sparsity": ["0.5"]}, TYPE, "final_sparsity", "a string"),
    (GMP, {"params": [], "final_sparsity": {0.5: 5}}, TYPE, "final_sparsity",
     "list of parameter names"),
    (GMP, {"params": [], "final_sparsity": {0.5: None}}, TYPE, "final_sparsity", "null"),
    (GMP, {"params": [], "final_sparsity": {1: ["a"]}}, RANGE, "final_sparsity",
     "strictly between"),
    (GMP, {"params": [], "final_sparsity": {"x": ["a"]}}, TYPE, "final_sparsity",
     "a string"),
    (GMP, {"final_sparsity": {0.5: ["a"]}}, PARAMS, "params", "must be [] or omitted"),
    (GMP, {"params": 5}, TYPE, "params", "an integer"),
    (GMP, {"params": "abc"}, PARAMS, "params", "'abc'"),
    (GMP, {"inter_func": "foo"}, CHOICE, "inter_func", "`linear`, `cubic`"),
    (GMP, {"inter_func": ["linear"]}, CHOICE, "inter_func", "a list"),
    (GMP, {"update_frequency": "1"}, TYPE, "update_frequency", "without quotes"),
    (GMP, {"update_frequency": -1.5}, SCHEDULE, "update_frequency", "at least -1"),
    (GMP, {"phased": 1}, RANGE, "phased", "must be false"),
    (GMP, {"phased": "x"}, RANGE, "phased", "must be false"),
    (GMP, {"score_type": "movement"}, CHOICE, "score_type", "must be `magnitude`"),
    (GMP, {"score_type": None}, CHOICE, "score_type", "got null"),
    (GMP, {"start_epoch": 5, "end_epoch": 4}, SCHEDULE, "end_epoch", "before"),
    (GMP, {"end_epoch": DROP}, "missing", "end_epoch", ""),
    (MAG, {"phased": False}, "extra_forbidden", "phased", ""),
    (MAG, {"global_sparsity": True}, "extra_forbidden", "global_sparsity", ""),
    (GLOBAL, {"score_type": "magnitude"}, "extra_forbidden", "score_type", ""),
    (MOVE, {"init_sparsity": 0}, TYPE, "init_sparsity", "integer"),
    (STRUCT, {"mask_type": "unstructured"}, CHOICE, "mask_type", "`filter`, `channel`"),
    (STRUCT, {"mask_type": ["filter"]}, CHOICE, "mask_type", "a list"),
    (STRUCT, {"params": "x"}, PARAMS, "params", "'x'"),
    (STRUCT, {"final_sparsity": {0.5: ["a"]}}, PARAMS, "params", "__ALL_PRUNABLE__"),
    (STRUCT, {"global_sparsity": True}, "extra_forbidden", "global_sparsity", ""),
    # Constant / Layer / Powerprop
    (CONST, {"params": None}, TYPE, "params", "got null"),
    (CONST, {"params": ""}, PARAMS, "params", "empty string"),
    (CONST, {"start_epoch": 5, "end_epoch": 3}, SCHEDULE, "end_epoch", "before"),
    (CONST, {"end_epoch": -2}, SCHEDULE, "end_epoch", "at least -1"),
    (LAYER, {"layers": None}, TYPE, "layers", "got null"),
    (LAYER, {"layers": ""}, PARAMS, "layers", "empty string"),
    (LAYER, {"start_epoch": 2, "end_epoch": 1}, SCHEDULE, "end_epoch", "before"),
    (POWER, {"params": None}, TYPE, "params", "got null"),
    (POWER, {"start_epoch": 3, "end_epoch": 1}, SCHEDULE, "end_epoch", "before"),
    # ACDC: whole numbers
    (ACDC, {"start_epoch": 0.5}, RANGE, "start_epoch", "whole number"),
    (ACDC, {"start_epoch": "1.5"}, TYPE, "start_epoch", "whole number"),
    (ACDC, {"end_epoch": math.inf}, RANGE, "end_epoch", "whole number"),
    (ACDC, {"end_epoch": math.nan}, RANGE, "end_epoch", "whole number"),
    (ACDC, {"update_frequency": None}, TYPE, "update_frequency", "got null"),
    (ACDC, {"update_frequency": -2}, SCHEDULE, "update_frequency", "at least -1"),
    (ACDC, {"end_epoch": -1}, SCHEDULE, "end_epoch", "before"),
    (ACDC, {"params": None}, TYPE, "params", "got null"),
    (ACDC, {"start_epoch": 10**400}, RANGE, "start_epoch", "too large"),
    # MFAC / OBS / RigL / TopKAST: end >= start, dict form still needs params: []
    (MFAC, {"end_epoch": -1}, SCHEDULE, "end_epoch", "-1 is only allowed"),
    (MFAC, {"final_sparsity": {0.5: ["a"]}}, PARAMS, "params", "must be [] or omitted"),
    (MFAC, {"params": None, "final_sparsity": {"x": 5}}, TYPE, "final_sparsity",
     "list of parameter names"),
    (OBS, {"damp": "x"}, TYPE, "damp", "must be a number"),
    (OBS, {"mask_type": "foo"}, CHOICE, "mask_type", "`unstructured`, `block4`"),
    (OBS, {"mask_type": "block4"}, RANGE, "fisher_block_size", "divisible by 4"),
    (OBS, {"mask_type": "block4", "fisher_block_size": "4"}, TYPE, "fisher_block_size",
     "a string"),
    (OBS, {"mask_type": "block4", "fisher_block_size": None}, TYPE, "fisher_block_size",
     "null"),
    (OBS, {"mask_type": "block4", "fisher_block_size": math.nan}, RANGE, "fisher_block_size",
     "divisible by 4"),
    (RIGL, {"final_sparsity": "__FROM_PARAM__"}, RANGE, "final_sparsity", "__FROM_PARAM__"),
    (RIGL, {"final_sparsity": {0.5: ["a"]}}, PARAMS, "params", "must be [] or omitted"),
    (RIGL, {"mask_type": "block4"}, CHOICE, "mask_type", "`unstructured`"),
    (RIGL, {"sparsity_strategy": "foo"}, CHOICE, "sparsity_strategy", "`erdos_renyi_kernel`"),
    (RIGL, {"init_sparsity": 0.5}, UNKNOWN, "init_sparsity", "multiple values"),
    (RIGL, {"parent_class_kwarg_names": ["a"]}, UNKNOWN, "parent_class_kwarg_names", ""),
    (RIGL, {"self": 1}, UNKNOWN, "self", ""),
    (RIGL, {"min_start": 5}, SCHEDULE, "start_epoch", "at least 5"),
    (RIGL, {"min_start": "x"}, TYPE, "min_start", "must be a number"),
    (RIGL, {"min_end": 11}, SCHEDULE, "end_epoch", "at least 11"),
    (RIGL, {"min_end": None}, TYPE, "min_end", "must be a number"),
    (RIGL, {"end_comparator": 1, "end_epoch": 0}, SCHEDULE, "end_epoch", "greater than"),
    (RIGL, {"min_frequency": 2}, RANGE, "update_frequency", "at least `min_frequency`"),
    (RIGL, {"min_frequency": "x"}, TYPE, "min_frequency", "must be a number"),
    (RIGL, {"allow_reintroduction": True}, RANGE, "allow_reintroduction",
     "`momentum_buffer_reset`"),
    (RIGL, {"update_frequency": "1"}, TYPE, "update_frequency", "without quotes"),
    (RIGL, {"update_frequency": -2}, SCHEDULE, "update_frequency", "at least -1"),
    (RIGL, {"end_epoch": -1}, SCHEDULE, "end_epoch", "before"),
    (TOPK, {"params": None}, TYPE, "params", "got null"),
    (TOPK, {"end_epoch": -1}, SCHEDULE, "end_epoch", "before"),
    (TOPK, {"update_frequency": "x"}, TYPE, "update_frequency", "must be a number"),
]


test_accepts, test_rejects = table_tests(ACCEPT, REJECT)


def test_gmp_params_normalisation():
    assert accept(GMP, params=None).params is None
    assert accept(GMP, params=0).params is None  # falsy: all prunable
    assert accept(GMP, params="__all__").params == "__ALL__"
    assert accept(STRUCT).params == "__ALL_PRUNABLE__"
    spec = accept(GMP, params=[], final_sparsity={0.9: ["a", "b"], 0.5: ["c"]})
    assert spec.final_sparsity == {0.9: ["a", "b"], 0.5: ["c"]}


def test_acdc_values_become_integers():
    spec = accept(ACDC, start_epoch="1", end_epoch=10.0, update_frequency=True)
    assert (spec.start_epoch, spec.end_epoch, spec.update_frequency) == (1, 10, 1)
    assert all(isinstance(v, int) for v in (spec.start_epoch, spec.end_epoch))


def test_rigl_keeps_unknown_fields():
    from recipe_studio.models.pruning_gradual import RigLPruningModifier

    spec = accept(RIGL, foo=1, inter_func="x")
    assert spec.model_extra == {"foo": 1, "inter_func": "x"}
    assert RigLPruningModifier.accepts_extra is True
    assert RigLPruningModifier.model_config["extra"] == "allow"
    assert RigLPruningModifier.model_config["frozen"] is True
    assert "global_sparsity" in RigLPruningModifier.ignored_fields()


def test_only_rigl_accepts_extra():
    from recipe_studio.models import catalog

    assert [m.__name__ for m in catalog.MODELS if m.accepts_extra] == ["RigLPruningModifier"]
    for model in catalog.MODELS:
        expected = "allow" if model.accepts_extra else "forbid"
        assert model.model_config["extra"] == expected
