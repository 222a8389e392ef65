"""QuantizationModifier, scheme-based and legacy forms (sparseml-recipes.md §5.7)."""

from __future__ import annotations

import math

import pytest

from recipe_studio.models import catalog
from recipe_studio.models.base import CHOICE, SCHEDULE, TYPE
from recipe_studio.models.quantization import LEGACY_ONLY_FIELDS, QuantizationModifier
from recipe_studio.models.quantization_legacy import LegacyQuantizationModifier

from .util import table_tests

NEW = "QuantizationModifier"
OLD = "LegacyQuantizationModifier"

ACCEPT = [
    (NEW, {}),
    (NEW, {"end_epoch": -1.0}),
    (NEW, {"start_epoch": "1"}),
    *[(NEW, {"scheme": s}) for s in (
        None, "default", "deepsparse", "tensorrt", {}, {"input_activations": None},
        {"input_activations": "None"}, {"input_activations": "null"}, {"foo": 1},
        {"weights": {"num_bits": "4"}}, {"weights": {"num_bits": 4.0}},
        {"weights": {"num_bits": True}}, {"weights": {"symmetric": "yes"}},
        {"weights": {"strategy": "channel"}}, {"weights": {"foo": 1}},
        {"target_hardware": None}, {"weights": {"kwargs": {"observer": "x"}}})],
    (NEW, {"scheme_overrides": {"a": "deepsparse"}}),
    (NEW, {"scheme_overrides": {"a": None}}),
    (NEW, {"scheme_overrides": {}}),
    (NEW, {"scheme_overrides": {1: {"weights": None}}}),
    (NEW, {"ignore": 5, "model_fuse_fn_name": 5, "model_fuse_fn_kwargs": 5,
           "num_calibration_steps": "x", "strict": "x"}),
    (NEW, {"start_epoch": "2", "disable_quantization_observer_epoch": 2}),
    (NEW, {"start_epoch": 2, "freeze_bn_stats_epoch": 2.0,
           "disable_quantization_observer_epoch": math.nan}),
    (OLD, {}),
    (OLD, {"start_epoch": True, "freeze_bn_stats_epoch": 1}),
    (OLD, {"submodules": "abc"}),
    (OLD, {"submodules": None}),
    (OLD, {"activation_bits": "x", "tensorrt": "x", "model_fuse_fn_kwargs": 3}),
    (OLD, {"end_epoch": -1.0}),
]

REJECT = [
    (NEW, {"end_epoch": "-1"}, SCHEDULE, "end_epoch", "must be -1"),
    (NEW, {"end_epoch": True}, SCHEDULE, "end_epoch", "a boolean"),
    (NEW, {"end_epoch": 3}, SCHEDULE, "end_epoch", "never switched off"),
    (NEW, {"scheme": "TensorRT"}, CHOICE, "scheme", "`default`, `deepsparse`, `tensorrt`"),
    (NEW, {"scheme": 5}, TYPE, "scheme", "an integer"),
    (NEW, {"scheme": []}, TYPE, "scheme", "a list"),
    (NEW, {"scheme": {1: 1}}, TYPE, "scheme", "must be strings"),
    (NEW, {"scheme": {"weights": {"num_bits": 4.5}}}, TYPE, "scheme",
     "`scheme.weights.num_bits` must be an integer"),
    (NEW, {"scheme": {"weights": {"num_bits": None}}}, TYPE, "scheme", "an integer"),
    (NEW, {"scheme": {"weights": {"symmetric": 2}}}, TYPE, "scheme", "a boolean"),
    (NEW, {"scheme": {"weights": {"strategy": "group"}}}, CHOICE, "scheme",
     "`tensor` or `channel`"),
    (NEW, {"scheme": {"weights": {"kwargs": {1: 2}}}}, TYPE, "scheme",
     "keys of `scheme.weights.kwargs`"),
    (NEW, {"scheme": {"weights": {"kwargs": None}}}, TYPE, "scheme", "a mapping"),
    (NEW, {"scheme": {"weights": 5}}, TYPE, "scheme", "`scheme.weights` must be a mapping"),
    (NEW, {"scheme": {"target_hardware": 5}}, TYPE, "scheme", "a string"),
    (NEW, {"scheme_overrides": {"a": "x"}}, CHOICE, "scheme_overrides",
     "`scheme_overrides.a`"),
    (NEW, {"scheme_overrides": ["a"]}, TYPE, "scheme_overrides", "a list"),
    (NEW, {"freeze_bn_stats_epoch": "1"}, TYPE, "freeze_bn_stats_epoch", "without quotes"),
    (NEW, {"freeze_bn_stats_epoch": -2}, SCHEDULE, "freeze_bn_stats_epoch",
     "at least `start_epoch`"),
    (NEW, {"start_epoch": 2, "disable_quantization_observer_epoch": 1.5}, SCHEDULE,
     "disable_quantization_observer_epoch", "at least `start_epoch` 2"),
    (OLD, {"start_epoch": "1"}, TYPE, "start_epoch", "YAML number"),
    (OLD, {"submodules": [["a"]]}, TYPE, "submodules", "a list"),
    (OLD, {"freeze_bn_stats_epoch": "x"}, TYPE, "freeze_bn_stats_epoch", "must be a number"),
    (OLD, {"start_epoch": 2, "freeze_bn_stats_epoch": 1}, SCHEDULE, "freeze_bn_stats_epoch",
     "at least `start_epoch`"),
    (OLD, {"scheme": None}, "extra_forbidden", "scheme", ""),  # the forms cannot be mixed
    (OLD, {"end_epoch": 0}, SCHEDULE, "end_epoch", "must be -1"),
]


test_accepts, test_rejects = table_tests(ACCEPT, REJECT)


@pytest.mark.parametrize("field", sorted(LEGACY_ONLY_FIELDS))
def test_any_legacy_only_field_selects_the_legacy_class(field):
    assert catalog.model_for("QuantizationModifier", ["start_epoch", field]) is \
        LegacyQuantizationModifier


@pytest.mark.parametrize("fields", [
    [], ["start_epoch"], ["scheme", "ignore"], ["model_fuse_fn_kwargs"],  # in both classes
    ["disable_quantization_observer_epoch", "freeze_bn_stats_epoch", "end_epoch"],
])
def test_otherwise_the_scheme_based_class(fields):
    assert catalog.model_for("QuantizationModifier", fields) is QuantizationModifier


def test_both_forms_share_the_tag_and_epoch_fields():
    expected = {"start_epoch", "disable_quantization_observer_epoch", "freeze_bn_stats_epoch"}
    for model in (QuantizationModifier, LegacyQuantizationModifier):
        assert model.tag == "QuantizationModifier"
        assert model.end_rule == "must_neg1"
        assert set(model.epoch_fields()) == expected
    assert LEGACY_ONLY_FIELDS == set(LegacyQuantizationModifier.model_fields) - set(
        QuantizationModifier.model_fields)


def test_other_form_fields_explain_mixing():
    hints = catalog.other_form_fields(LegacyQuantizationModifier)
    assert set(hints) == {"scheme", "scheme_overrides", "ignore", "strict"}
    assert "cannot be mixed" in hints["scheme"]
    assert catalog.other_form_fields(catalog.MODELS[0]) == {}
