"""The tag → model table."""

from __future__ import annotations

import pytest

from recipe_studio.models import catalog
from recipe_studio.models.base import ModifierSpec

from .cases import BASES

#: the 26 tags SparseML 1.8 registers as `!pytorch.<Name>` (checked against SparseML in
#: test_signatures.py)
EXPECTED_TAGS = {
    "EpochRangeModifier", "SparsificationLoggingModifier", "SetLearningRateModifier",
    "LearningRateFunctionModifier", "LearningRateModifier", "SetWeightDecayModifier",
    "TrainableParamsModifier", "SetParamModifier", "GradualParamModifier",
    "GMPruningModifier", "MagnitudePruningModifier", "GlobalMagnitudePruningModifier",
    "MovementPruningModifier", "StructuredPruningModifier", "ConstantPruningModifier",
    "ACDCPruningModifier", "MFACPruningModifier", "OBSPruningModifier", "RigLPruningModifier",
    "TopKASTPruningModifier", "LayerPruningModifier", "PowerpropagationModifier",
    "LayerThinningModifier", "QuantizationModifier", "DistillationModifier",
    "PerLayerDistillationModifier",
}


def test_counts():
    assert len(catalog.MODELS) == 27
    assert len(set(catalog.MODELS)) == 27
    assert set(catalog.TAGS) == EXPECTED_TAGS and len(catalog.TAGS) == 26
    assert {m.__name__ for m in catalog.MODELS} == set(BASES)


@pytest.mark.parametrize("model", catalog.MODELS, ids=lambda m: m.__name__)
def test_class_vars(model: type[ModifierSpec]):
    assert model.tag in EXPECTED_TAGS
    assert model.sparseml_class.startswith("sparseml.pytorch.sparsification.")
    assert model.sparseml_class.rsplit(".", 1)[1] == model.tag
    assert model.family in ("training", "learning_rate", "weight_decay", "params", "pruning",
                            "thinning", "quantization", "distillation")
    assert model.end_rule in ("ge_or_neg1", "ge", "gt", "fixed", "forced_neg1", "must_neg1")


@pytest.mark.parametrize("tag", sorted(EXPECTED_TAGS))
def test_model_for_known_tags(tag):
    for written in (tag, f"!{tag}", f"pytorch.{tag}", f"!pytorch.{tag}"):
        model = catalog.model_for(written, [])
        assert model is not None and model.tag == tag


def test_model_for_unknown_tags():
    assert catalog.model_for("GMPruning", []) is None
    assert catalog.model_for("gmpruningmodifier", []) is None  # tags are case-sensitive
    assert catalog.model_for("", []) is None


@pytest.mark.parametrize(("tag", "expected"), [
    ("!pytorch.GMPruningModifier", "GMPruningModifier"),
    ("!GMPruningModifier", "GMPruningModifier"),
    ("pytorch.X", "X"),
    ("X", "X"),
    ("!pytorchX", "pytorchX"),
])
def test_normalize_tag(tag, expected):
    assert catalog.normalize_tag(tag) == expected


@pytest.mark.parametrize(("tag", "expected"), [
    ("GMPrunningModifier", "GMPruningModifier"),
    ("gmpruningmodifier", "GMPruningModifier"),
    ("MagnitudePruning", "MagnitudePruningModifier"),
    ("EpochRange", "EpochRangeModifier"),
    ("!LearningRateModifer", "LearningRateModifier"),
    ("SetWeightDecay", "SetWeightDecayModifier"),
    ("QuantizationModifer", "QuantizationModifier"),
    ("TotallyUnrelated", None),
])
def test_suggest_tag(tag, expected):
    assert catalog.suggest_tag(tag) == expected


def test_each_row_names_the_module_that_defines_its_class():
    """The catalogue's static tag → module table is what lets a recipe import only the
    modules of its tags; every row must name the module the class is defined in (not one
    that merely imports it, which would load a second module)."""
    for model in catalog.MODELS:
        assert model.__module__ == f"recipe_studio.models.{catalog._MODULE_OF[model.__name__]}"
