"""Modifier families come from the models' catalogue, once, and every user shares them."""

from __future__ import annotations

import subprocess
import sys

from recipe_studio.models import catalog

GMP = ["GMPruningModifier", "MagnitudePruningModifier", "GlobalMagnitudePruningModifier",
       "MovementPruningModifier", "StructuredPruningModifier"]


def test_members() -> None:
    assert list(catalog.GMP_FAMILY) == GMP
    assert list(catalog.RAMP_PRUNERS) == GMP + ["MFACPruningModifier", "OBSPruningModifier"]
    assert list(catalog.UNSTRUCTURED_GMP) == GMP[:4]
    assert list(catalog.LEARNING_RATE) == ["SetLearningRateModifier",
                                           "LearningRateFunctionModifier",
                                           "LearningRateModifier"]
    assert list(catalog.QUANTIZATION) == ["QuantizationModifier"]
    assert "RigLPruningModifier" not in catalog.RAMP_PRUNERS
    assert "LegacyQuantizationModifier" not in catalog.QUANTIZATION
    assert "NotAModifier" not in catalog.GMP_FAMILY and None not in catalog.GMP_FAMILY


def test_plus() -> None:
    family = catalog.RAMP_PRUNERS.plus("ConstantPruningModifier")
    assert "ConstantPruningModifier" in family and "GMPruningModifier" in family
    assert "ConstantPruningModifier" not in catalog.RAMP_PRUNERS
    assert list(family) == GMP + ["ConstantPruningModifier", "MFACPruningModifier",
                                  "OBSPruningModifier"]  # catalogue order


def test_every_user_shares_the_catalogue() -> None:
    from recipe_studio.bridge import expect
    from recipe_studio.lint.rules import _facts
    from recipe_studio.models import schema
    from recipe_studio.schedule import results, simulation

    assert _facts.GMP_TYPES is catalog.RAMP_PRUNERS
    assert _facts.LR_TYPES is catalog.LEARNING_RATE
    assert expect.PREDICTED_PRUNERS is catalog.UNSTRUCTURED_GMP
    assert simulation.GMP_FAMILY is catalog.GMP_FAMILY
    assert results.RAMP_PRUNERS is catalog.RAMP_PRUNERS
    assert any(models is catalog.GMP_FAMILY for models, _, _ in schema._BOUNDS)


def test_membership_of_another_module_imports_nothing() -> None:
    code = ("import sys\n"
            "from recipe_studio.models.catalog import GMP_FAMILY, RAMP_PRUNERS\n"
            "assert 'SetLearningRateModifier' not in GMP_FAMILY\n"
            "assert 'QuantizationModifier' not in RAMP_PRUNERS\n"
            "print('recipe_studio.models.pruning' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_each_family_is_what_every_model_says() -> None:
    """A family only looks at the modules it names: computed over every model of the
    catalogue, it has the same members (a pruner moved to another module cannot fall out)."""
    by_tag = {model.__name__: model for model in catalog.MODELS}
    for family in (catalog.GMP_FAMILY, catalog.RAMP_PRUNERS, catalog.UNSTRUCTURED_GMP,
                   catalog.LEARNING_RATE, catalog.QUANTIZATION):
        assert list(family) == [tag for tag in catalog.TAGS if family._test(by_tag[tag])]
