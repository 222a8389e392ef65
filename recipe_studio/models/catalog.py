"""The tag → model table for SparseML 1.8's 26 PyTorch modifier tags (27 models: the
`!QuantizationModifier` tag has a legacy and a scheme-based class)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import importlib
from typing import Any

from recipe_studio.models.base import ModifierSpec

# (model class name, family module) in catalogue order. Modules are imported on first use,
# so loading a recipe only pays for the families it uses.
_TABLE: tuple[tuple[str, str], ...] = (
    # training
    ("EpochRangeModifier", "training"),
    ("SparsificationLoggingModifier", "training"),
    # learning rate / weight decay
    ("SetLearningRateModifier", "learning_rate"),
    ("LearningRateFunctionModifier", "learning_rate"),
    ("LearningRateModifier", "learning_rate"),
    ("SetWeightDecayModifier", "regularizer"),
    # params
    ("TrainableParamsModifier", "params"),
    ("SetParamModifier", "params"),
    ("GradualParamModifier", "params"),
    # pruning
    ("GMPruningModifier", "pruning"),
    ("MagnitudePruningModifier", "pruning"),
    ("GlobalMagnitudePruningModifier", "pruning"),
    ("MovementPruningModifier", "pruning"),
    ("StructuredPruningModifier", "pruning"),
    ("ConstantPruningModifier", "pruning"),
    ("ACDCPruningModifier", "pruning"),
    ("MFACPruningModifier", "pruning"),
    ("OBSPruningModifier", "pruning"),
    ("RigLPruningModifier", "pruning"),
    ("TopKASTPruningModifier", "pruning"),
    ("LayerPruningModifier", "pruning"),
    ("PowerpropagationModifier", "pruning"),
    # thinning
    ("LayerThinningModifier", "thinning"),
    # quantization (one tag, two classes)
    ("QuantizationModifier", "quantization"),
    ("LegacyQuantizationModifier", "quantization"),
    # distillation
    ("DistillationModifier", "distillation"),
    ("PerLayerDistillationModifier", "distillation"),
)
_LEGACY = "LegacyQuantizationModifier"
_MODULE_OF = {name: module for name, module in _TABLE}

#: the registered tag names, without `!` (SparseML registers them as `!pytorch.<Name>`)
TAGS: tuple[str, ...] = tuple(name for name, _ in _TABLE if name != _LEGACY)


def _load(name: str) -> type[ModifierSpec]:
    module = importlib.import_module(f"recipe_studio.models.{_MODULE_OF[name]}")
    return getattr(module, name)


def __getattr__(attr: str) -> Any:
    # MODELS (all 27 classes) is built on first access: it imports every family
    if attr == "MODELS":
        models = tuple(_load(name) for name, _ in _TABLE)
        globals()["MODELS"] = models
        return models
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


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
    name = normalize_tag(tag)
    if name not in _MODULE_OF or name == _LEGACY:
        return None
    if name == "QuantizationModifier":
        from recipe_studio.models.quantization import LEGACY_ONLY_FIELDS

        if any(f in LEGACY_ONLY_FIELDS for f in fields):
            return _load(_LEGACY)
    return _load(name)


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
    from recipe_studio.models.quantization import (
        LEGACY_ONLY_FIELDS, NEW_ONLY_FIELDS, LegacyQuantizationModifier, QuantizationModifier,
    )

    if model is LegacyQuantizationModifier:
        return {name: "a field of the scheme-based QuantizationModifier; SparseML built the "
                      "legacy class because legacy-only fields are present, and the two "
                      "forms cannot be mixed" for name in sorted(NEW_ONLY_FIELDS)}
    if model is QuantizationModifier:
        return {name: "a field of the legacy QuantizationModifier" for name in
                sorted(LEGACY_ONLY_FIELDS)}
    return {}
