"""Pruners with a fixed target or phases (sparseml-recipes.md §5.5): ACDC and TopKAST
(end ≥ start), Constant and Layer pruning (end ≥ start or -1), and Powerpropagation (a
re-parametrisation, not a mask).

A module of their own so that a recipe without them never builds their models (each
pydantic class costs its creation at import); the GMP family, the shared bases and the
shared conversions are in :mod:`recipe_studio.models.pruning`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, ValidationInfo

from recipe_studio.models.base import (
    CAST_INT, RANGE, TYPE, BoolArg, EndRule, FloatArg, NumArg, ParamsArg, Unchecked,
    describe, epoch_field, ignored_field, py_float, rs_error, unchecked_field,
)
from recipe_studio.models.pruning import (
    END_GE_DESC, GLOBAL_SPARSITY_DESC, LEAVE_ENABLED_DESC, MASK_TYPE_DESC, PARAMS_DESC,
    START_DESC, UPDATE_FREQ_DESC, PrunerSpec, pruning_class,
)
from recipe_studio.numbers import as_written


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


ACDCInt = Annotated[int, BeforeValidator(_acdc_int_arg), CAST_INT]


class ACDCPruningModifier(PrunerSpec):
    """AC/DC: alternates dense and sparse (`compression_sparsity`) phases of
    `update_frequency` epochs; the last phase before `end_epoch` is always sparse."""

    tag: ClassVar[str] = "ACDCPruningModifier"
    sparseml_class: ClassVar[str] = pruning_class("ACDCPruningModifier", "modifier_pruning_acdc")
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
    sparseml_class: ClassVar[str] = pruning_class("ConstantPruningModifier",
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
    sparseml_class: ClassVar[str] = pruning_class("LayerPruningModifier", "modifier_pruning_layer")
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
    sparseml_class: ClassVar[str] = pruning_class("TopKASTPruningModifier",
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
    sparseml_class: ClassVar[str] = pruning_class("PowerpropagationModifier",
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
