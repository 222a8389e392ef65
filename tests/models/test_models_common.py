"""Conventions every model follows: descriptions, epoch/ignored metadata (§5.9), messages."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from recipe_studio.models import catalog
from recipe_studio.models.base import ModifierSpec

from .cases import BASES, SPECIAL, UNKNOWN_FIELDS, candidates

MODELS = catalog.MODELS
by_name = {m.__name__: m for m in MODELS}

#: sparseml-recipes.md §5.9 (plus SetParam's end_epoch, which counts towards max_epochs,
#: and LearningRateFunction's cycle_epochs)
EPOCH_FIELDS = {
    "EpochRangeModifier": {"start_epoch", "end_epoch"},
    "SparsificationLoggingModifier": {"start_epoch", "end_epoch", "update_frequency"},
    "SetLearningRateModifier": {"start_epoch"},
    "LearningRateFunctionModifier": {"start_epoch", "end_epoch", "cycle_epochs"},
    "LearningRateModifier": {"start_epoch", "end_epoch"},
    "SetWeightDecayModifier": {"start_epoch"},
    "TrainableParamsModifier": {"start_epoch", "end_epoch"},
    "SetParamModifier": {"start_epoch", "end_epoch"},
    "GradualParamModifier": {"start_epoch", "end_epoch", "update_frequency"},
    "ConstantPruningModifier": {"start_epoch", "end_epoch"},
    "LayerPruningModifier": {"start_epoch", "end_epoch"},
    "PowerpropagationModifier": {"start_epoch", "end_epoch"},
    "LayerThinningModifier": {"start_epoch", "update_epochs"},
    "DistillationModifier": {"start_epoch", "end_epoch"},
    "PerLayerDistillationModifier": {"start_epoch", "end_epoch"},
    "QuantizationModifier": {"start_epoch", "freeze_bn_stats_epoch",
                             "disable_quantization_observer_epoch"},
    "LegacyQuantizationModifier": {"start_epoch", "freeze_bn_stats_epoch",
                                   "disable_quantization_observer_epoch"},
    **{name: {"start_epoch", "end_epoch", "update_frequency"} for name in (
        "GMPruningModifier", "MagnitudePruningModifier", "GlobalMagnitudePruningModifier",
        "MovementPruningModifier", "StructuredPruningModifier", "MFACPruningModifier",
        "OBSPruningModifier", "RigLPruningModifier", "TopKASTPruningModifier",
        "ACDCPruningModifier")},
}

IGNORED_FIELDS = {
    "SetLearningRateModifier": {"end_epoch"},
    "SetWeightDecayModifier": {"end_epoch"},
    "LayerThinningModifier": {"end_epoch"},
    "LearningRateFunctionModifier": {"update_frequency"},
    "LearningRateModifier": {"update_frequency"},
    "ConstantPruningModifier": {"update_frequency"},
    "LayerPruningModifier": {"update_frequency"},
    "DistillationModifier": {"update_frequency"},
    "PerLayerDistillationModifier": {"update_frequency"},
    "GradualParamModifier": {"inter_func"},
    "RigLPruningModifier": {"global_sparsity"},
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_epoch_and_ignored_fields(model: type[ModifierSpec]):
    assert set(model.epoch_fields()) == EPOCH_FIELDS[model.__name__]
    assert set(model.ignored_fields()) == IGNORED_FIELDS.get(model.__name__, set())


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_described(model: type[ModifierSpec]):
    for name, info in model.model_fields.items():
        text = info.description or ""
        assert len(text) >= 20, f"{model.__name__}.{name} needs a description"
        assert text[0].isupper() or text[0] in "`-", f"{model.__name__}.{name}: {text!r}"
        assert text.endswith((".", ")")), f"{model.__name__}.{name}: {text!r}"
    assert model.__doc__ and model.__doc__.strip()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_json_schema_and_frozen(model: type[ModifierSpec]):
    schema = model.model_json_schema()
    assert set(schema["properties"]) == set(model.model_fields)
    spec = model.model_validate(BASES[model.__name__][1])
    with pytest.raises(ValidationError):
        spec.start_epoch = 3  # type: ignore[misc]
    assert "log_types" not in model.model_fields


def _grid():
    for name, (tag, base) in BASES.items():
        model = by_name[name]
        fields = list(model.model_fields) + [f for f in SPECIAL.get(name, {})
                                             if f not in model.model_fields]
        for field in fields:
            for value in candidates(name, field):
                yield tag, {**base, field: value}
        for field in UNKNOWN_FIELDS:
            yield tag, {**base, field: 1}


def test_error_messages_follow_the_conventions():
    """Every rejection in the case grid is ours (rs_*), or a missing/unknown field that
    the loader words itself; messages use backticks, start lower case, no final period."""
    seen = 0
    for tag, args in _grid():
        model = catalog.model_for(tag, list(args))
        try:
            model.model_validate(args)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                seen += 1
                kind, msg = err["type"], err["msg"]
                assert kind.startswith("rs_") or kind in ("missing", "extra_forbidden"), \
                    (tag, args, err)
                if not kind.startswith("rs_"):
                    continue
                assert "`" in msg, msg
                assert not msg.endswith("."), msg
                assert re.match(r"[`a-z]", msg), msg
                assert "Input should" not in msg and "validation error" not in msg, msg
    assert seen > 1000
