"""Pruning modifiers (sparseml-recipes.md §5.5, §6.1).

Families, as SparseML 1.8 shares behaviour:

* GMP family (:class:`GMPFamilySpec`): GMPruning, Magnitude, GlobalMagnitude, Movement and
  Structured pruning. They inherit SparseML's GMP checks: `init_sparsity` a YAML float in
  [0, 1] or `__FROM_PARAM__`, `final_sparsity` a YAML float in (0, 1) or a
  `{sparsity: [params]}` mapping, `inter_func` one of three names; end ≥ start or -1.
* Other gradual pruners (:class:`~recipe_studio.models.pruning_gradual.GradualPrunerSpec`,
  in `pruning_gradual`): MFAC, OBS and RigL share the GMP schedule code but none of its
  value checks; end ≥ start.
* Phase/fixed-target pruners (in `pruning_fixed`): ACDC and TopKAST (end ≥ start),
  Constant and Layer pruning (end ≥ start or -1), and Powerpropagation (a
  re-parametrisation, not a mask).

This module holds the GMP family, the bases and conversions the three groups share. The
other two groups have modules of their own because building a pydantic class is the
costly part of importing a model module: a recipe that names no MFAC/OBS/RigL or
ACDC/TopKAST/Constant/Layer/Powerpropagation modifier never builds those classes (the
catalogue, `models/catalog.py`, says which module holds which tag).

Parameter names and mask types are only checked when the modifier binds to a model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator

from recipe_studio.models.base import (
    ALL_PRUNABLE_TOKEN, FROM_PARAM_TOKEN, PARAMS, RANGE, TYPE, BoolArg, EndRule, Family,
    FloatArg, NumArg, ScheduledSpec, Unchecked, choice_validator, describe,
    epoch_field, numeric_string_hint, param_list, rs_error, unchecked_field,
)
from recipe_studio.numbers import as_written

INTER_FUNCS = ("linear", "cubic", "inverse_cubic")

# ---- shared descriptions ---------------------------------------------------------------

PARAMS_DESC = (
    "Parameters to prune: a list of full parameter names (`<module>.<param>`, e.g. "
    "`sections.0.conv1.weight`) and `re:` regular expressions (matched from the start of "
    "the name), or `__ALL_PRUNABLE__` (the weights of every conv/linear/embedding layer) / "
    "`__ALL__` (every parameter, biases included). A bare string other than these tokens is "
    "rejected; write one pattern as a one-item list. Names are checked at modify time.")
GRADUAL_PARAMS_DESC = PARAMS_DESC + (
    " Null or [] means `__ALL_PRUNABLE__`; it must be null or [] when `final_sparsity` is a "
    "mapping.")
START_DESC = "Epoch pruning starts at (-1: from the first step)."
END_GE_OR_NEG1_DESC = (
    "Epoch the sparsity ramp reaches `final_sparsity`: at least `start_epoch`, or -1 (which "
    "SparseML accepts but then never leaves `init_sparsity`).")
END_GE_DESC = "Epoch pruning ends at: at least `start_epoch` (-1 only if `start_epoch` is -1)."
UPDATE_FREQ_DESC = (
    "Epochs between mask updates; -1 or any value <= 0 updates every step. Must be a YAML "
    "number (quoted numbers are rejected), at least -1.")
LEAVE_ENABLED_DESC = (
    "Keep the masks applied after `end_epoch` (true) or release them so pruned weights can "
    "regrow (false). Any non-empty string, even 'false', counts as true.")
INTER_FUNC_DESC = (
    "Curve of the sparsity ramp between start and end: `linear`, `cubic` (fast then slow, "
    "the default) or `inverse_cubic`.")
MASK_TYPE_DESC = (
    "Sparsity structure: `unstructured`, `block4` (blocks of 4 along the input dimension), "
    "an 'N:M' string such as '2:4', `tensorrt` (= 2:4), or a block shape `[out, in]` (-1 = "
    "the whole dimension). Not checked at load: an unknown value fails at modify time.")
GLOBAL_SPARSITY_DESC = (
    "Rank all selected params together (one threshold, per-layer sparsities differ) instead "
    "of pruning each param to the target.")


# ---- conversions mirroring the SparseML constructors ----------------------------------

def prunable_params(value: Any, name: str = "params") -> str | list[Any] | None:
    """BaseGradualPruningModifier: a falsy value (null, [], '', 0, false) means
    `__ALL_PRUNABLE__` (stored as None); anything else goes through validate_str_iterable."""
    if not value:
        return None
    return param_list(value, name)


def _prunable_params_arg(value: Any, info: ValidationInfo) -> str | list[Any] | None:
    return prunable_params(value, info.field_name or "params")


def dict_final_sparsities(value: dict[Any, Any], name: str = "final_sparsity") -> list[Any]:
    """`{sparsity: [params]}`: one sparsity per listed param (SparseML iterates each list)."""
    out: list[Any] = []
    for key, group in value.items():
        if not isinstance(group, Iterable):
            raise rs_error(TYPE, f"`{name}` maps {as_written(key)} to {describe(group)}; each "
                                 "sparsity must map to a list of parameter names")
        out.extend(key for _ in group)
    return out


def gmp_final_sparsity(value: Any, name: str = "final_sparsity") -> Any:
    """GMP checks: a YAML float (or list of them) in (0, 1), or `{sparsity: [params]}`."""
    if isinstance(value, dict):
        sparsities = dict_final_sparsities(value, name)
    elif isinstance(value, float):
        sparsities = [value]
    elif isinstance(value, list):
        sparsities = value
    else:
        hint = ""
        if isinstance(value, int) and not isinstance(value, bool):
            hint = " (SparseML rejects integers here: write a float such as `0.9`)"
        else:
            hint = numeric_string_hint(value, float_only=True)
        raise rs_error(TYPE, f"`{name}` must be a float in (0, 1), or a mapping of "
                             f"sparsities to lists of params, got {describe(value)}{hint}")
    for sparsity in sparsities:
        try:
            ok = 0.0 < sparsity < 1.0
        except TypeError:
            raise rs_error(TYPE, f"`{name}` values must be floats in (0, 1), got "
                                 f"{describe(sparsity)}") from None
        if not ok:
            raise rs_error(RANGE, f"`{name}` must be strictly between 0 and 1, got "
                                  f"{as_written(sparsity)}" + (" (1.0 would remove every weight)"
                                                       if sparsity == 1 else ""))
    return value


def _gmp_final_arg(value: Any, info: ValidationInfo) -> Any:
    return gmp_final_sparsity(value, info.field_name or "final_sparsity")


def gmp_init_sparsity(value: Any, name: str = "init_sparsity") -> Any:
    """GMP checks: a YAML float in [0, 1], or exactly `__FROM_PARAM__`."""
    if isinstance(value, str) and value == FROM_PARAM_TOKEN:
        return value
    if not isinstance(value, float):
        hint = ""
        if isinstance(value, int) and not isinstance(value, bool):
            hint = f" (write `{value}.0`: SparseML rejects integers here)"
        elif isinstance(value, str):
            if value.upper() == FROM_PARAM_TOKEN:
                hint = f" (the token is case-sensitive: write `{FROM_PARAM_TOKEN}`)"
            else:
                hint = numeric_string_hint(value, float_only=True)
        raise rs_error(TYPE, f"`{name}` must be a float in [0, 1] or `{FROM_PARAM_TOKEN}`, "
                             f"got {describe(value)}{hint}")
    if not 0.0 <= value <= 1.0:
        raise rs_error(RANGE, f"`{name}` must be within [0, 1], got {as_written(value)}")
    return value


def _gmp_init_arg(value: Any, info: ValidationInfo) -> Any:
    return gmp_init_sparsity(value, info.field_name or "init_sparsity")


def _phased_arg(value: Any) -> bool:
    if value:
        raise rs_error(RANGE, "`phased` must be false: phased pruning was removed from "
                              "GMPruningModifier (use `!ACDCPruningModifier`), got "
                              f"{describe(value)}")
    return False


PrunableParamsArg = Annotated[str | list[Any] | None, BeforeValidator(_prunable_params_arg)]
GMPInitSparsity = Annotated[float | Literal["__FROM_PARAM__"], BeforeValidator(_gmp_init_arg)]
GMPFinalSparsity = Annotated[float | list[Any] | dict[Any, Any], BeforeValidator(_gmp_final_arg)]
InterFunc = Annotated[Literal["linear", "cubic", "inverse_cubic"], choice_validator(*INTER_FUNCS)]


# RigL's keyword facts are here, not in `pruning_gradual`, so that the rule and the schema
# that name them do not build the RigL model.
#: keyword arguments RigL forwards to SparseML's gradual-pruning base through **kwargs;
#: they change its checks (every other unknown field is silently dropped)
RIGL_FORWARDED = ("inter_func", "min_start", "min_end", "end_comparator", "min_frequency",
                  "allow_reintroduction")
#: keys that collide with arguments RigL passes itself (TypeError "multiple values")
RIGL_COLLIDING = ("init_sparsity", "parent_class_kwarg_names", "self")


# ---- bases -----------------------------------------------------------------------------

class PrunerSpec(ScheduledSpec):
    """Base of the pruning family (no tag of its own)."""

    family: ClassVar[Family] = "pruning"


class DictFinalParams:
    """`final_sparsity` as a mapping requires `params` to be null or [] (SparseML's
    `_get_params_and_final_sparsity`)."""

    def _check_dict_final(self) -> None:
        final = getattr(self, "final_sparsity")
        params = getattr(self, "params")
        if isinstance(final, dict) and params:
            raise rs_error(PARAMS, "`params` must be [] or omitted when `final_sparsity` is a "
                                   "mapping (the mapping's lists name the params), got "
                                   f"{describe(params)}", field="params")


class GMPFamilySpec(PrunerSpec, DictFinalParams):
    """Fields and checks shared by SparseML's GMPruningModifier and its subclasses."""

    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    init_sparsity: GMPInitSparsity = Field(
        description="Sparsity at `start_epoch`, a float in [0, 1] written with a decimal point "
                    "(`0` or '0.05' are rejected), or `__FROM_PARAM__` to start from each "
                    "param's current sparsity.")
    final_sparsity: GMPFinalSparsity = Field(
        description="Sparsity reached at `end_epoch`: a float strictly between 0 and 1 "
                    "written with a decimal point (`1`, `1.0` and '0.9' are rejected), or a "
                    "mapping `{sparsity: [params]}` giving per-group targets (then `params` "
                    "must be [] or omitted; the first group that names a param wins).")
    start_epoch: FloatArg = epoch_field(description=START_DESC)
    end_epoch: FloatArg = epoch_field(description=END_GE_OR_NEG1_DESC)
    update_frequency: NumArg = epoch_field(description=UPDATE_FREQ_DESC)
    params: PrunableParamsArg = Field(description=GRADUAL_PARAMS_DESC)
    leave_enabled: BoolArg = Field(True, description=LEAVE_ENABLED_DESC)
    inter_func: InterFunc = Field("cubic", description=INTER_FUNC_DESC)
    mask_type: Unchecked = unchecked_field(
        "unstructured", description=MASK_TYPE_DESC,
        expects="'unstructured', 'block4', 'N:M' string, 'tensorrt' or [int, int]")

    @model_validator(mode="after")
    def _gmp_params(self) -> GMPFamilySpec:
        self._check_dict_final()
        return self


def pruning_class(name: str, module: str = "modifier_pruning_magnitude") -> str:
    return f"sparseml.pytorch.sparsification.pruning.{module}.{name}"


class GMPruningModifier(GMPFamilySpec):
    """Gradual magnitude pruning: ramps each param's sparsity from `init_sparsity` to
    `final_sparsity` between `start_epoch` and `end_epoch`, removing the smallest weights."""

    tag: ClassVar[str] = "GMPruningModifier"
    sparseml_class: ClassVar[str] = pruning_class("GMPruningModifier")

    global_sparsity: BoolArg = Field(
        False, description=GLOBAL_SPARSITY_DESC + " Deprecated here: use "
                                                  "`!GlobalMagnitudePruningModifier`.")
    phased: Annotated[Literal[False], BeforeValidator(_phased_arg)] = Field(
        False, description="Removed option; must be false (use `!ACDCPruningModifier` for "
                           "phased pruning).")
    score_type: Annotated[Literal["magnitude"], choice_validator("magnitude")] = Field(
        "magnitude", description="Removed option; must be `magnitude` (use the dedicated "
                                 "modifier, e.g. `!MovementPruningModifier`).")


class MagnitudePruningModifier(GMPFamilySpec):
    """Gradual magnitude pruning, each param pruned to the target on its own."""

    tag: ClassVar[str] = "MagnitudePruningModifier"
    sparseml_class: ClassVar[str] = pruning_class("MagnitudePruningModifier")


class GlobalMagnitudePruningModifier(GMPFamilySpec):
    """Gradual magnitude pruning with one global threshold over all selected params."""

    tag: ClassVar[str] = "GlobalMagnitudePruningModifier"
    sparseml_class: ClassVar[str] = pruning_class("GlobalMagnitudePruningModifier")


class MovementPruningModifier(GMPFamilySpec):
    """Gradual pruning by movement scores (`-grad * weight` accumulated every step)."""

    tag: ClassVar[str] = "MovementPruningModifier"
    sparseml_class: ClassVar[str] = pruning_class("MovementPruningModifier",
                                               "modifier_pruning_movement")


class StructuredPruningModifier(GMPFamilySpec):
    """Gradual pruning of whole filters (output channels) or input channels."""

    tag: ClassVar[str] = "StructuredPruningModifier"
    sparseml_class: ClassVar[str] = pruning_class("StructuredPruningModifier",
                                               "modifier_pruning_structured")

    param_groups: Unchecked = unchecked_field(
        None, description="Lists of param names pruned together with a shared channel "
                          "choice (e.g. convs feeding the same add). Names are checked at "
                          "modify time.",
        expects="list of lists of parameter names")
    params: PrunableParamsArg = Field(ALL_PRUNABLE_TOKEN, description=GRADUAL_PARAMS_DESC)
    mask_type: Annotated[Literal["filter", "channel"], choice_validator("filter", "channel")] = \
        Field("filter", description="Structure to remove: `filter` (output channels) or "
                                    "`channel` (input channels).")
