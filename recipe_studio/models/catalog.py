"""The tag → model table for SparseML 1.8's 26 PyTorch modifier tags (27 models: the
`!QuantizationModifier` tag has a legacy and a scheme-based class)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from recipe_studio.models.base import ModifierSpec
from recipe_studio.models.distillation import DistillationModifier, PerLayerDistillationModifier
from recipe_studio.models.learning_rate import (
    LearningRateFunctionModifier, LearningRateModifier, SetLearningRateModifier,
)
from recipe_studio.models.params import (
    GradualParamModifier, SetParamModifier, TrainableParamsModifier,
)
from recipe_studio.models.pruning import (
    ACDCPruningModifier, ConstantPruningModifier, GlobalMagnitudePruningModifier,
    GMPruningModifier, LayerPruningModifier, MagnitudePruningModifier, MFACPruningModifier,
    MovementPruningModifier, OBSPruningModifier, PowerpropagationModifier, RigLPruningModifier,
    StructuredPruningModifier, TopKASTPruningModifier,
)
from recipe_studio.models.quantization import (
    LEGACY_ONLY_FIELDS, NEW_ONLY_FIELDS, LegacyQuantizationModifier, QuantizationModifier,
)
from recipe_studio.models.regularizer import SetWeightDecayModifier
from recipe_studio.models.thinning import LayerThinningModifier
from recipe_studio.models.training import EpochRangeModifier, SparsificationLoggingModifier

MODELS: tuple[type[ModifierSpec], ...] = (
    # training
    EpochRangeModifier,
    SparsificationLoggingModifier,
    # learning rate / weight decay
    SetLearningRateModifier,
    LearningRateFunctionModifier,
    LearningRateModifier,
    SetWeightDecayModifier,
    # params
    TrainableParamsModifier,
    SetParamModifier,
    GradualParamModifier,
    # pruning
    GMPruningModifier,
    MagnitudePruningModifier,
    GlobalMagnitudePruningModifier,
    MovementPruningModifier,
    StructuredPruningModifier,
    ConstantPruningModifier,
    ACDCPruningModifier,
    MFACPruningModifier,
    OBSPruningModifier,
    RigLPruningModifier,
    TopKASTPruningModifier,
    LayerPruningModifier,
    PowerpropagationModifier,
    # thinning
    LayerThinningModifier,
    # quantization
    QuantizationModifier,
    LegacyQuantizationModifier,
    # distillation
    DistillationModifier,
    PerLayerDistillationModifier,
)

#: the registered tag names, without `!` (SparseML registers them as `!pytorch.<Name>`)
TAGS: tuple[str, ...] = tuple(dict.fromkeys(m.tag for m in MODELS))

_BY_TAG: dict[str, type[ModifierSpec]] = {
    m.tag: m for m in MODELS if m is not LegacyQuantizationModifier
}

_PREFIX = "pytorch."


def normalize_tag(tag: str) -> str:
    """`!pytorch.GMPruningModifier` / `!GMPruningModifier` / `pytorch.X` → the bare name."""
    name = tag[1:] if tag.startswith("!") else tag
    if name.startswith(_PREFIX):
        name = name[len(_PREFIX):]
    return name


def model_for(tag: str, fields: Iterable[str]) -> type[ModifierSpec] | None:
    """The model SparseML would construct for `tag` given these field names; None when the
    tag is unknown. For `QuantizationModifier` the legacy class is chosen when any
    legacy-only field is present (SparseML's `_select_quantization_modifier`)."""
    model = _BY_TAG.get(normalize_tag(tag))
    if model is QuantizationModifier and any(f in LEGACY_ONLY_FIELDS for f in fields):
        return LegacyQuantizationModifier
    return model


def suggest_tag(tag: str) -> str | None:
    """The closest known tag name (did-you-mean), or None."""
    name = normalize_tag(tag)
    by_lower = {t.lower(): t for t in TAGS}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name, TAGS, n=1, cutoff=0.6)
    if close:
        return close[0]
    # also try with the usual `Modifier` suffix added (`!GMPruning` → GMPruningModifier)
    close = difflib.get_close_matches(name + "Modifier", TAGS, n=1, cutoff=0.8)
    return close[0] if close else None


def other_form_fields(model: type[ModifierSpec]) -> dict[str, str]:
    """Fields that belong to the *other* QuantizationModifier form, with an explanation
    (for unknown-field messages when a recipe mixes the two forms)."""
    if model is LegacyQuantizationModifier:
        return {name: "a field of the scheme-based QuantizationModifier; SparseML built the "
                      "legacy class because legacy-only fields are present, and the two "
                      "forms cannot be mixed" for name in sorted(NEW_ONLY_FIELDS)}
    if model is QuantizationModifier:
        return {name: "a field of the legacy QuantizationModifier" for name in
                sorted(LEGACY_ONLY_FIELDS)}
    return {}
