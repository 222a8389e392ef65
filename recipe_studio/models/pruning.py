"""Pruning modifiers (sparseml-recipes.md §5.5, §6.1).

Families, as SparseML 1.8 shares behaviour:

* GMP family (:class:`GMPFamilySpec`): GMPruning, Magnitude, GlobalMagnitude, Movement and
  Structured pruning. They inherit SparseML's GMP checks: `init_sparsity` a YAML float in
  [0, 1] or `__FROM_PARAM__`, `final_sparsity` a YAML float in (0, 1) or a
  `{sparsity: [params]}` mapping, `inter_func` one of three names; end ≥ start or -1.
* Other gradual pruners (:class:`GradualPrunerSpec`): MFAC, OBS and RigL share the GMP
  schedule code but none of its value checks; end ≥ start.
* Phase/fixed-target pruners: ACDC and TopKAST (end ≥ start), Constant and Layer pruning
  (end ≥ start or -1), and Powerpropagation (a re-parametrisation, not a mask).

Parameter names and mask types are only checked when the modifier binds to a model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from recipe_studio.models.base import (
    ALL_PRUNABLE_TOKEN, CAST_BOOL, CAST_FLOAT, CAST_INT, FROM_PARAM_TOKEN, PARAMS, RANGE, TYPE, UNKNOWN, BoolArg, EndRule,
    Family, FloatArg, ModifierSpec, NumArg, ParamsArg, ScheduledSpec, Unchecked,
    check_schedule_values, check_update_frequency, choice_validator, describe, epoch_field,
    ignored_field, numeric_string_hint, param_list, py_float, real_number, rs_error,
    truthy, unchecked_field,
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


def _gradual_final_arg(value: Any, info: ValidationInfo) -> Any:
    """MFAC/OBS/RigL: only the mapping form is inspected at load."""
    if isinstance(value, dict):
        dict_final_sparsities(value, info.field_name or "final_sparsity")
    return value


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


def _acdc_int_arg(value: Any, info: ValidationInfo) -> int:
    """ACDCPruningModifier._assert_is_integer: integral floats and `int()`-able values."""
    name = info.field_name or "value"
    if isinstance(value, float) and not value.is_integer():
        raise rs_error(RANGE, f"`{name}` must be a whole number of epochs for "
                              f"ACDCPruningModifier, got {as_written(value)}")
    try:
        result = int(value)
    except (TypeError, ValueError):
        raise rs_error(TYPE, f"`{name}` must be a whole number of epochs for "
                             f"ACDCPruningModifier, got {describe(value)}") from None
    if name != "update_frequency":
        py_float(result, name)  # BaseScheduled then calls float() on it
    return result


def _obs_damp_arg(value: Any) -> Any:
    """OBSPruningModifier._validate: `damp` given as a string is converted with float()."""
    if isinstance(value, str):
        return py_float(value, "damp")
    return value


PrunableParamsArg = Annotated[str | list[Any] | None, BeforeValidator(_prunable_params_arg)]
GMPInitSparsity = Annotated[float | Literal["__FROM_PARAM__"], BeforeValidator(_gmp_init_arg)]
GMPFinalSparsity = Annotated[float | list[Any] | dict[Any, Any], BeforeValidator(_gmp_final_arg)]
GradualFinalSparsity = Annotated[Any, BeforeValidator(_gradual_final_arg)]
ACDCInt = Annotated[int, BeforeValidator(_acdc_int_arg), CAST_INT]
InterFunc = Annotated[Literal["linear", "cubic", "inverse_cubic"], choice_validator(*INTER_FUNCS)]


# ---- bases -----------------------------------------------------------------------------

class PrunerSpec(ScheduledSpec):
    """Base of the pruning family (no tag of its own)."""

    family: ClassVar[Family] = "pruning"


class _DictFinalParams:
    """`final_sparsity` as a mapping requires `params` to be null or [] (SparseML's
    `_get_params_and_final_sparsity`)."""

    def _check_dict_final(self) -> None:
        final = getattr(self, "final_sparsity")
        params = getattr(self, "params")
        if isinstance(final, dict) and params:
            raise rs_error(PARAMS, "`params` must be [] or omitted when `final_sparsity` is a "
                                   "mapping (the mapping's lists name the params), got "
                                   f"{describe(params)}", field="params")


class GMPFamilySpec(PrunerSpec, _DictFinalParams):
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


def _gmp_class(name: str, module: str = "modifier_pruning_magnitude") -> str:
    return f"sparseml.pytorch.sparsification.pruning.{module}.{name}"


class GMPruningModifier(GMPFamilySpec):
    """Gradual magnitude pruning: ramps each param's sparsity from `init_sparsity` to
    `final_sparsity` between `start_epoch` and `end_epoch`, removing the smallest weights."""

    tag: ClassVar[str] = "GMPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("GMPruningModifier")

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
    sparseml_class: ClassVar[str] = _gmp_class("MagnitudePruningModifier")


class GlobalMagnitudePruningModifier(GMPFamilySpec):
    """Gradual magnitude pruning with one global threshold over all selected params."""

    tag: ClassVar[str] = "GlobalMagnitudePruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("GlobalMagnitudePruningModifier")


class MovementPruningModifier(GMPFamilySpec):
    """Gradual pruning by movement scores (`-grad * weight` accumulated every step)."""

    tag: ClassVar[str] = "MovementPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("MovementPruningModifier",
                                               "modifier_pruning_movement")


class StructuredPruningModifier(GMPFamilySpec):
    """Gradual pruning of whole filters (output channels) or input channels."""

    tag: ClassVar[str] = "StructuredPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("StructuredPruningModifier",
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


class GradualPrunerSpec(PrunerSpec, _DictFinalParams):
    """MFAC, OBS and RigL: SparseML's gradual pruning base without the GMP value checks."""

    end_rule: ClassVar[EndRule] = "ge"

    # fields are declared by each class, in the order of its constructor

    @model_validator(mode="after")
    def _gradual_params(self) -> GradualPrunerSpec:
        self._check_dict_final()
        return self


_UNCHECKED_SPARSITY = (" Not range-checked by SparseML at load (unlike the GMP family); "
                       "the mapping form `{sparsity: [params]}` requires `params: []`.")


class _SecondOrderPrunerSpec(GradualPrunerSpec):
    """The fields MFAC and OBS share, in their constructors' order (both take the GMP
    schedule without its value checks); each class adds its own after them."""

    init_sparsity: Unchecked = unchecked_field(
        description="Sparsity at `start_epoch`, a number in [0, 1] (or `__FROM_PARAM__`). "
                    "Not checked at load.", expects="float in [0, 1] or '__FROM_PARAM__'")
    final_sparsity: GradualFinalSparsity = unchecked_field(
        description="Sparsity reached at `end_epoch`, a number in (0, 1), or a mapping "
                    "`{sparsity: [params]}`." + _UNCHECKED_SPARSITY,
        expects="float in (0, 1) or {sparsity: [params]}")
    start_epoch: FloatArg = epoch_field(description=START_DESC)
    end_epoch: FloatArg = epoch_field(description=END_GE_DESC)
    update_frequency: NumArg = epoch_field(description=UPDATE_FREQ_DESC)
    params: PrunableParamsArg = Field(description=GRADUAL_PARAMS_DESC)
    leave_enabled: BoolArg = Field(True, description=LEAVE_ENABLED_DESC)
    inter_func: Unchecked = unchecked_field(
        "cubic", description=INTER_FUNC_DESC + " Not checked at load.",
        expects="'linear', 'cubic' or 'inverse_cubic'")
    global_sparsity: BoolArg = Field(False, description=GLOBAL_SPARSITY_DESC)


class MFACPruningModifier(_SecondOrderPrunerSpec):
    """Second-order (M-FAC) pruning on the GMP schedule, scoring weights with an inverse
    Fisher approximation from buffered gradients or a grad sampler."""

    tag: ClassVar[str] = "MFACPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("MFACPruningModifier", "modifier_pruning_mfac")

    use_gradient_buffering: Unchecked = unchecked_field(
        None, description="`true`: always buffer gradients from training steps; `false`: "
                          "require a `grad_sampler` passed to modify; `null`: use a grad "
                          "sampler when one is given, else buffer.",
        expects="true, false or null")
    num_grads: Unchecked = unchecked_field(
        64, description="Number of gradients used for the Fisher estimate: an integer, or a "
                        "mapping `{sparsity: count}` to change it during the ramp.",
        expects="integer or {sparsity: integer}")
    damp: Unchecked = unchecked_field(
        1e-5, description="Dampening added to the Fisher matrix diagonal (a small positive "
                          "number).", expects="number")
    grads_device: Unchecked = unchecked_field(
        "cpu", description="Device the gradient buffer is kept on, e.g. 'cpu', 'cuda:0' or a "
                           "GPU index.", expects="device string or integer")
    fisher_block_size: Unchecked = unchecked_field(
        2000, description="Size of the diagonal blocks of the Fisher approximation (an "
                          "integer; null computes the full matrix in `num_pages` pages).",
        expects="integer or null")
    num_pages: Unchecked = unchecked_field(
        1, description="Pages to split the computation into when `fisher_block_size` is null.",
        expects="integer")
    available_devices: Unchecked = unchecked_field(
        None, description="Devices to spread the computation over (list of device strings); "
                          "null uses 'cuda:0' when available, else 'cpu'.",
        expects="list of device strings or null")
    mask_type: Unchecked = unchecked_field(
        "unstructured", description=MASK_TYPE_DESC,
        expects="'unstructured', 'block4', 'N:M' string or [int, int]")
    grad_sampler_kwargs: Unchecked = unchecked_field(
        None, description="Keyword arguments for the data loader builder of the grad sampler.",
        expects="mapping or null")


class OBSPruningModifier(_SecondOrderPrunerSpec):
    """Optimal Brain Surgeon pruning on the GMP schedule; needs a grad sampler passed to
    modify and prunes in one-shot or multi-step runs."""

    tag: ClassVar[str] = "OBSPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("OBSPruningModifier", "modifier_pruning_obs")

    global_sparsity: BoolArg = Field(True, description=GLOBAL_SPARSITY_DESC)
    mask_type: Annotated[Literal["unstructured", "block4"],
                         choice_validator("unstructured", "block4")] = Field(
        "unstructured", description="`unstructured` or `block4` (blocks of 4; needs "
                                    "`fisher_block_size` divisible by 4).")
    num_grads: Unchecked = unchecked_field(
        1024, description="Number of gradients sampled for the Fisher estimate.",
        expects="integer")
    damp: Annotated[Any, BeforeValidator(_obs_damp_arg), CAST_FLOAT] = unchecked_field(
        1e-7, description="Dampening added to the Fisher matrix diagonal; a string such as "
                          "'1e-7' is converted with float().", expects="number")
    fisher_block_size: Unchecked = unchecked_field(
        1, description="Size of the diagonal blocks of the Fisher approximation; must be "
                       "divisible by 4 with `mask_type: block4`.", expects="integer")
    grad_sampler_kwargs: Unchecked = unchecked_field(
        None, description="Keyword arguments for the data loader builder of the grad sampler.",
        expects="mapping or null")
    num_recomputations: Unchecked = unchecked_field(
        1, description="Times the scores are recomputed within one pruning step (one-shot).",
        expects="integer")

    @model_validator(mode="after")
    def _block4(self) -> OBSPruningModifier:
        if self.mask_type == "block4":
            size = self.fisher_block_size
            try:
                rest = size % 4
            except (TypeError, ValueError):
                raise rs_error(TYPE, "`fisher_block_size` must be an integer divisible by 4 "
                                     f"with `mask_type: block4`, got {describe(size)}",
                               field="fisher_block_size") from None
            if rest != 0:
                raise rs_error(RANGE, "`fisher_block_size` must be divisible by 4 with "
                                      f"`mask_type: block4`, got {as_written(size)}",
                               field="fisher_block_size")
        return self


#: keyword arguments RigL forwards to SparseML's gradual-pruning base through **kwargs;
#: they change its checks (every other unknown field is silently dropped)
RIGL_FORWARDED = ("inter_func", "min_start", "min_end", "end_comparator", "min_frequency",
                  "allow_reintroduction")
#: keys that collide with arguments RigL passes itself (TypeError "multiple values")
RIGL_COLLIDING = ("init_sparsity", "parent_class_kwarg_names", "self")


def _rigl_update_frequency_arg(value: Any) -> Any:
    """Numbers become floats; anything else is kept for the raw comparison with
    `min_frequency` (an extra field SparseML forwards), which rejects it unless that is a
    value of the same kind."""
    if isinstance(value, (int, float)):
        return real_number(value, "update_frequency")
    return value


def _extra_float(extra: dict[str, Any], key: str, default: float = -1.0) -> float:
    if key not in extra:
        return default
    try:
        return py_float(extra[key], key)
    except PydanticCustomError as e:
        raise rs_error(e.type, e.message(), field=key) from None


class RigLPruningModifier(GradualPrunerSpec):
    """RigL: keeps a constant target sparsity and periodically regrows the connections with
    the largest gradients (the regrown fraction decays with a cosine over [start, end]).
    Unknown fields are silently accepted and dropped."""

    model_config = ConfigDict(**{**ModifierSpec.model_config, "extra": "allow"})

    tag: ClassVar[str] = "RigLPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("RigLPruningModifier", "modifier_pruning_rigl")
    accepts_extra: ClassVar[bool] = True

    final_sparsity: GradualFinalSparsity = unchecked_field(
        description="The constant sparsity to keep, a number in (0, 1) (not range-checked at "
                    "load), or a mapping `{sparsity: [params]}` (then `params: []`). "
                    f"`{FROM_PARAM_TOKEN}` is rejected.",
        expects="float in (0, 1) or {sparsity: [params]}")
    start_epoch: FloatArg = epoch_field(description=START_DESC)
    end_epoch: FloatArg = epoch_field(description=END_GE_DESC)
    update_frequency: Annotated[Any, BeforeValidator(_rigl_update_frequency_arg)] = Field(
        description=UPDATE_FREQ_DESC, json_schema_extra={"x-epoch": True, "x-expects": "number"})
    params: PrunableParamsArg = Field(description=GRADUAL_PARAMS_DESC)
    num_grads: Unchecked = unchecked_field(
        1, description="Number of gradient samples used to score regrowth.", expects="integer")
    leave_enabled: BoolArg = Field(True, description=LEAVE_ENABLED_DESC)
    global_sparsity: Unchecked = ignored_field(
        False, description="Ignored: RigL always uses per-layer sparsity (see "
                           "`sparsity_strategy`).",
        ignored="replaced by false (global sparsity is not supported by RigL)")
    momentum_buffer_reset: BoolArg = Field(
        True, description="Zero the optimizer momentum of weights that are pruned.")
    mask_type: Annotated[Literal["unstructured"], choice_validator("unstructured")] = Field(
        "unstructured", description="Only `unstructured` is supported.")
    sparsity_strategy: Annotated[
        Literal["erdos_renyi_kernel", "erdos_renyi", "uniform"],
        choice_validator("erdos_renyi_kernel", "erdos_renyi", "uniform")] = Field(
        "erdos_renyi_kernel", description="How the target sparsity is spread over layers: "
                                          "`erdos_renyi_kernel`, `erdos_renyi` or `uniform`.")
    init_update_fraction: Unchecked = unchecked_field(
        0.3, description="Fraction of the remaining weights swapped at the first update; it "
                         "decays to 0 at `end_epoch`.", expects="number in [0, 1]")
    grad_sampler_kwargs: Unchecked = Field(
        default_factory=dict,
        description="Keyword arguments for the data loader builder of the grad sampler.",
        json_schema_extra={"x-expects": "mapping"})

    @model_validator(mode="after")
    def _schedule(self) -> RigLPruningModifier:  # replaces ScheduledSpec._schedule
        extra = self.model_extra or {}
        for key in RIGL_COLLIDING:
            if key in extra:
                raise rs_error(UNKNOWN, f"`{key}` cannot be given to RigLPruningModifier "
                                        "(SparseML passes it itself and fails with "
                                        "\"multiple values\")", field=key)
        min_start = _extra_float(extra, "min_start")
        min_end = _extra_float(extra, "min_end")
        comparator = extra.get("end_comparator", 0)
        rule = ("ge_or_neg1" if comparator == -1 else "ge" if comparator == 0 else
                "gt" if comparator == 1 else "fixed" if comparator is None else "none")
        check_schedule_values(self.tag, self.start_epoch, self.end_epoch, rule,
                              min_start=min_start, min_end=min_end)
        # BaseUpdate.validate_update compares the raw values: `update_frequency < min_frequency`
        freq = self.update_frequency
        minimum = extra.get("min_frequency", -1.0)
        try:
            too_small = freq < minimum
        except TypeError:
            if isinstance(freq, (int, float)):
                raise rs_error(TYPE, f"`min_frequency` must be a number, got "
                                     f"{describe(minimum)}", field="min_frequency") from None
            raise rs_error(TYPE, f"`update_frequency` must be a number, got {describe(freq)}"
                                 f"{numeric_string_hint(freq)}",
                           field="update_frequency") from None
        if too_small:
            if "min_frequency" in extra:
                raise rs_error(RANGE, f"`update_frequency` must be at least `min_frequency` "
                                      f"{as_written(minimum)}, got {as_written(freq)}",
                               field="update_frequency")
            check_update_frequency(self)
        if truthy(extra.get("allow_reintroduction", False)) and self.momentum_buffer_reset:
            raise rs_error(RANGE, "`allow_reintroduction` cannot be true while "
                                  "`momentum_buffer_reset` is true",
                           field="allow_reintroduction")
        if isinstance(self.final_sparsity, str) and self.final_sparsity == FROM_PARAM_TOKEN:
            raise rs_error(RANGE, f"`final_sparsity` cannot be `{FROM_PARAM_TOKEN}` for "
                                  "RigLPruningModifier", field="final_sparsity")
        return self


class ACDCPruningModifier(PrunerSpec):
    """AC/DC: alternates dense and sparse (`compression_sparsity`) phases of
    `update_frequency` epochs; the last phase before `end_epoch` is always sparse."""

    tag: ClassVar[str] = "ACDCPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("ACDCPruningModifier", "modifier_pruning_acdc")
    end_rule: ClassVar[EndRule] = "ge"

    compression_sparsity: Unchecked = unchecked_field(
        description="Sparsity of the compressed (sparse) phases, a number in (0, 1). Not "
                    "checked at load.", expects="float in (0, 1)")
    start_epoch: ACDCInt = epoch_field(
        description="Epoch the first (dense) phase starts at; a whole number (2 or 2.0; "
                    "'2' is accepted, 2.5 is not).")
    end_epoch: ACDCInt = epoch_field(
        description="Epoch the last phase ends at; a whole number, at least `start_epoch`.")
    update_frequency: ACDCInt = epoch_field(
        description="Length of each dense/sparse phase in epochs; a whole number, at least "
                    "-1.")
    params: ParamsArg = Field(description=PARAMS_DESC)
    global_sparsity: BoolArg = Field(True, description=GLOBAL_SPARSITY_DESC)
    leave_enabled: BoolArg = Field(True, description=LEAVE_ENABLED_DESC)
    momentum_buffer_reset: BoolArg = Field(
        True, description="Zero the optimizer momentum buffers when a dense phase begins.")
    mask_type: Unchecked = unchecked_field(
        "unstructured", description=MASK_TYPE_DESC,
        expects="'unstructured', 'block4', 'N:M' string or [int, int]")


class ConstantPruningModifier(PrunerSpec):
    """Keeps the zeros present at `start_epoch` (the mask is the nonzero pattern); the mask is
    released at `end_epoch`, so a finite end lets pruned weights regrow."""

    tag: ClassVar[str] = "ConstantPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("ConstantPruningModifier",
                                               "modifier_pruning_constant")
    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    params: ParamsArg = Field(description=PARAMS_DESC)
    start_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch the sparsity pattern is frozen at (-1: the first step).")
    end_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch the mask is released at: at least `start_epoch`, or -1 to keep "
                          "it for the rest of training (usually what you want).")
    update_frequency: Unchecked = ignored_field(
        -1.0, description="Ignored: the mask is re-applied at every step.",
        ignored="replaced by -1 (updates every step)")


class LayerPruningModifier(PrunerSpec):
    """Replaces whole modules by `Identity` from `start_epoch` until `end_epoch`."""

    tag: ClassVar[str] = "LayerPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("LayerPruningModifier", "modifier_pruning_layer")
    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    layers: ParamsArg = Field(
        description="Modules to remove: a list of exact module names (e.g. `sections.3`), or "
                    "`__ALL__` / `__ALL_PRUNABLE__`. Names are checked at modify time.")
    start_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch the layers are removed at (-1: from the start).")
    end_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch the layers are restored at: at least `start_epoch`, or -1 to "
                          "never restore them.")
    update_frequency: Unchecked = ignored_field(
        -1.0, description="Ignored: the check runs at every step.",
        ignored="replaced by -1 (updates every step)")


class TopKASTPruningModifier(PrunerSpec):
    """Top-KAST: a fixed forward sparsity and a (smaller) backward sparsity for the gradient
    mask from `start_epoch`, with extra decay on the active weights."""

    tag: ClassVar[str] = "TopKASTPruningModifier"
    sparseml_class: ClassVar[str] = _gmp_class("TopKASTPruningModifier",
                                               "modifier_pruning_topkast")
    end_rule: ClassVar[EndRule] = "ge"

    forward_sparsity: Unchecked = unchecked_field(
        description="Sparsity of the weights used in the forward pass, a number in (0, 1). "
                    "Not checked at load.", expects="float in (0, 1)")
    backward_sparsity: Unchecked = unchecked_field(
        description="Sparsity of the gradient mask (at most `forward_sparsity`), a number in "
                    "(0, 1). Not checked at load.", expects="float in (0, 1)")
    start_epoch: FloatArg = epoch_field(description=START_DESC)
    end_epoch: FloatArg = epoch_field(description=END_GE_DESC)
    update_frequency: NumArg = epoch_field(description=UPDATE_FREQ_DESC)
    params: ParamsArg = Field(description=PARAMS_DESC)
    global_sparsity: BoolArg = Field(True, description=GLOBAL_SPARSITY_DESC)
    leave_enabled: BoolArg = Field(True, description=LEAVE_ENABLED_DESC)
    mask_type: Unchecked = unchecked_field(
        "unstructured", description=MASK_TYPE_DESC,
        expects="'unstructured', 'block4', 'N:M' string or [int, int]")
    active_weight_decay: Unchecked = unchecked_field(
        0.0001, description="Extra weight decay applied to the active (unpruned) weights.",
        expects="number")


class PowerpropagationModifier(PrunerSpec):
    """Powerpropagation: re-parametrises Conv2d/Linear weights as `w * |w|^(alpha-1)` between
    `start_epoch` and `end_epoch` so training favours sparse solutions."""

    tag: ClassVar[str] = "PowerpropagationModifier"
    sparseml_class: ClassVar[str] = _gmp_class("PowerpropagationModifier",
                                               "modifier_powerpropagation")
    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    start_epoch: FloatArg = epoch_field(
        description="Epoch the re-parametrisation is applied at (-1: from the start).")
    end_epoch: FloatArg = epoch_field(
        description="Epoch the weights are converted back: at least `start_epoch`, or -1 to "
                    "keep the re-parametrisation until training ends.")
    params: ParamsArg = Field(
        description="Parameters of Conv2d/Linear layers to re-parametrise: a list of names and "
                    "`re:` patterns, or `__ALL__` / `__ALL_PRUNABLE__`.")
    alpha: Unchecked = unchecked_field(
        1.0, description="The exponent; 1.0 is a no-op, values above 1 push small weights "
                         "towards zero.", expects="number")
    strict: BoolArg = Field(
        True, description="Require every entry of `params` to match a parameter (checked at "
                          "modify time).")
