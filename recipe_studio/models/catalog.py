"""The tag → model table for SparseML 1.8's 26 PyTorch modifier tags (27 models: the
`!QuantizationModifier` tag has a legacy and a scheme-based class)."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any

from recipe_studio.models.base import ModifierSpec

# (model class name, module) in catalogue order. Modules are imported on first use, so
# loading a recipe only pays for the modules of the modifiers it uses (pruning is split in
# three: the GMP family, the other gradual pruners, the fixed-target ones). Each row names
# the module that defines the class: `MODELS` (test_catalog.py) loads every row with a plain
# getattr, so a row that drifts from the code fails there.
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
    ("ConstantPruningModifier", "pruning_fixed"),
    ("ACDCPruningModifier", "pruning_fixed"),
    ("MFACPruningModifier", "pruning_gradual"),
    ("OBSPruningModifier", "pruning_gradual"),
    ("RigLPruningModifier", "pruning_gradual"),
    ("TopKASTPruningModifier", "pruning_fixed"),
    ("LayerPruningModifier", "pruning_fixed"),
    ("PowerpropagationModifier", "pruning_fixed"),
    # thinning
    ("LayerThinningModifier", "thinning"),
    # quantization (one tag, two classes)
    ("QuantizationModifier", "quantization"),
    ("LegacyQuantizationModifier", "quantization_legacy"),
    # distillation
    ("DistillationModifier", "distillation"),
    ("PerLayerDistillationModifier", "distillation"),
)
_LEGACY = "LegacyQuantizationModifier"
_MODULE_OF = {name: module for name, module in _TABLE}

#: the registered tag names, without `!` (SparseML registers them as `!pytorch.<Name>`)
TAGS: tuple[str, ...] = tuple(name for name, _ in _TABLE if name != _LEGACY)


_LOADED: dict[str, type[ModifierSpec]] = {}


def _load(name: str) -> type[ModifierSpec]:
    """The model class `name`, its module imported on first use (once per class: a corpus
    run asks thousands of times)."""
    cls = _LOADED.get(name)
    if cls is None:
        module = importlib.import_module(f"recipe_studio.models.{_MODULE_OF[name]}")
        cls = _LOADED[name] = getattr(module, name)
    return cls


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
        from recipe_studio.stubs import active as stubs  # `modifier-stubs`

        return stubs.classic_model(name)
    if name == "QuantizationModifier":
        from recipe_studio.models.quantization import LEGACY_ONLY_FIELDS

        if any(f in LEGACY_ONLY_FIELDS for f in fields):
            return _load(_LEGACY)
    return _load(name)


def suggest_tag(tag: str) -> str | None:
    """The closest known tag name (did-you-mean), or None."""
    from recipe_studio.stubs import active as stubs

    name = normalize_tag(tag)
    tags = TAGS + stubs.classic_names()
    by_lower = {t.lower(): t for t in tags}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name, tags, n=1, cutoff=0.6)
    if close:
        return close[0]
    # also try with the usual `Modifier` suffix added (`!GMPruning` → GMPruningModifier)
    close = difflib.get_close_matches(name + "Modifier", tags, n=1, cutoff=0.8)
    return close[0] if close else None


def other_form_fields(model: type[ModifierSpec]) -> dict[str, str]:
    """Fields that belong to the *other* QuantizationModifier form, with an explanation
    (for unknown-field messages when a recipe mixes the two forms)."""
    from recipe_studio.models.quantization import (
        LEGACY_ONLY_FIELDS, NEW_ONLY_FIELDS, QuantizationModifier,
    )
    from recipe_studio.models.quantization_legacy import LegacyQuantizationModifier

    if model is LegacyQuantizationModifier:
        return {name: "a field of the scheme-based QuantizationModifier; SparseML built the "
                      "legacy class because legacy-only fields are present, and the two "
                      "forms cannot be mixed" for name in sorted(NEW_ONLY_FIELDS)}
    if model is QuantizationModifier:
        return {name: "a field of the legacy QuantizationModifier" for name in
                sorted(LEGACY_ONLY_FIELDS)}
    return {}


# ---- modifier families, derived from the model classes ----------------------------------

class TagFamily(AbstractSet[str]):
    """The catalogue tags whose model class passes `test`, in catalogue order.

    Every member's model lives in one of `modules` (the catalogue's module names), so asking
    whether a tag of another module belongs is answered from the table alone; a tag of one
    of them loads its class (which the loader has already imported for any modifier it
    validated). Nothing is imported until a member is asked about: a rule or the schedule
    can test `entry.type in GMP_FAMILY` without loading the pruning models for a recipe
    that has no pruner. Iterating (or `len`) imports the modules.
    """

    def __init__(self, modules: str | tuple[str, ...],
                 test: Callable[[type[ModifierSpec]], bool], plus: Iterable[str] = ()) -> None:
        self._modules = (modules,) if isinstance(modules, str) else tuple(modules)
        self._test = test
        #: tags added by :meth:`plus` (any module)
        self._plus = frozenset(plus)
        self._tags: tuple[str, ...] | None = None
        self._known: dict[str, bool] = {}

    def __contains__(self, tag: object) -> bool:
        if tag in self._plus:
            return True
        if not isinstance(tag, str) or _MODULE_OF.get(tag) not in self._modules or tag == _LEGACY:
            return False
        known = self._known.get(tag)
        if known is None:
            known = self._known[tag] = self._test(_load(tag))
        return known

    def _members(self) -> tuple[str, ...]:
        if self._tags is None:
            self._tags = tuple(name for name in TAGS if name in self)
        return self._tags

    def __iter__(self) -> Iterator[str]:
        return iter(self._members())

    def __len__(self) -> int:
        return len(self._members())

    @classmethod
    def _from_iterable(cls, it: Iterable[str]) -> frozenset[str]:  # type: ignore[override]
        # `family | {...}` and friends give plain frozensets (they import the module)
        return frozenset(it)

    def plus(self, *tags: str) -> TagFamily:
        """This family and `tags`, still computed lazily."""
        return TagFamily(self._modules, self._test, self._plus | set(tags))

    def __repr__(self) -> str:
        return f"TagFamily({', '.join(self)})"


def _is_gmp(model: type[ModifierSpec]) -> bool:
    from recipe_studio.models.pruning import GMPFamilySpec

    return issubclass(model, GMPFamilySpec)


def _ramps(model: type[ModifierSpec]) -> bool:
    from recipe_studio.models.pruning import PrunerSpec

    return issubclass(model, PrunerSpec) and \
        "init_sparsity" in model.model_fields and "final_sparsity" in model.model_fields


def _unstructured_gmp(model: type[ModifierSpec]) -> bool:
    return _is_gmp(model) and model.model_fields["mask_type"].default == "unstructured"


#: SparseML's GMPruningModifier and its subclasses (GMPruning, Magnitude, GlobalMagnitude,
#: Movement, Structured): the models derived from `GMPFamilySpec`, which carry SparseML's
#: GMP value checks (`init_sparsity` in [0, 1], `final_sparsity` in (0, 1), end >= start
#: or -1)
GMP_FAMILY = TagFamily("pruning", _is_gmp)
#: pruners whose target ramps from `init_sparsity` to `final_sparsity` (sparseml-recipes.md
#: §6.1): the GMP family plus MFAC and OBS, which share SparseML's gradual pruning schedule
#: without its value checks (RigL shares the base class but holds `final_sparsity`)
RAMP_PRUNERS = TagFamily(("pruning", "pruning_gradual"), _ramps)
#: the GMP family members whose mask is unstructured by default (all but Structured, which
#: removes whole filters or channels): the number of zeros they leave is the GMP target
#: times the param size, so it can be predicted without running them
UNSTRUCTURED_GMP = TagFamily("pruning", _unstructured_gmp)
#: SetLearningRate, LearningRateFunction and LearningRate (family `learning_rate`)
LEARNING_RATE = TagFamily("learning_rate", lambda model: model.family == "learning_rate")
#: the QuantizationModifier tag (either of its two classes)
QUANTIZATION = TagFamily("quantization", lambda model: model.family == "quantization")
