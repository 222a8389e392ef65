"""Pruners that share SparseML's gradual pruning schedule but none of the GMP family's value
checks (sparseml-recipes.md §5.5): MFAC, OBS and RigL (end ≥ start).

A module of their own so that a recipe without them never builds their models (each
pydantic class costs its creation at import); the GMP family, the shared bases and the
shared conversions are in :mod:`recipe_studio.models.pruning`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from recipe_studio.models.base import (
    CAST_FLOAT, FROM_PARAM_TOKEN, RANGE, TYPE, UNKNOWN, BoolArg, EndRule, FloatArg, ModifierSpec, NumArg,
    Unchecked, check_schedule_values, check_update_frequency, choice_validator, describe,
    epoch_field, ignored_field, numeric_string_hint, py_float, real_number, rs_error, truthy,
    unchecked_field,
)
from recipe_studio.models.pruning import (
    END_GE_DESC, GLOBAL_SPARSITY_DESC, GRADUAL_PARAMS_DESC, INTER_FUNC_DESC,
    LEAVE_ENABLED_DESC, MASK_TYPE_DESC, RIGL_COLLIDING, START_DESC, UPDATE_FREQ_DESC,
    PrunableParamsArg, PrunerSpec, DictFinalParams, pruning_class, dict_final_sparsities,
)
from recipe_studio.numbers import as_written


def _gradual_final_arg(value: Any, info: ValidationInfo) -> Any:
    """MFAC/OBS/RigL: only the mapping form is inspected at load."""
    if isinstance(value, dict):
        dict_final_sparsities(value, info.field_name or "final_sparsity")
    return value


def _obs_damp_arg(value: Any) -> Any:
    """OBSPruningModifier._validate: `damp` given as a string is converted with float()."""
    if isinstance(value, str):
        return py_float(value, "damp")
    return value


GradualFinalSparsity = Annotated[Any, BeforeValidator(_gradual_final_arg)]


class GradualPrunerSpec(PrunerSpec, DictFinalParams):
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
    sparseml_class: ClassVar[str] = pruning_class("MFACPruningModifier", "modifier_pruning_mfac")

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
    sparseml_class: ClassVar[str] = pruning_class("OBSPruningModifier", "modifier_pruning_obs")

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
    sparseml_class: ClassVar[str] = pruning_class("RigLPruningModifier", "modifier_pruning_rigl")
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
