"""Parameter modifiers: freeze/unfreeze, set and interpolate values (sparseml-recipes.md §5.4).

Parameter names are matched only when the modifier binds to a model (modify time); at load
SparseML only checks that `params` is a list or one of the `__ALL__` / `__ALL_PRUNABLE__`
tokens.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from recipe_studio.models.base import (
    BoolArg, EndRule, Family, FloatArg, NumArg, ParamsArg, ScheduledSpec, StrBoolArg,
    Unchecked, choice_validator, epoch_field, ignored_field, str_bool_field, unchecked_field,
)

INTER_FUNCS = ("linear", "cubic", "inverse_cubic")

PARAMS_DESC = (
    "Parameters to act on: a list of full parameter names (`<module>.<param>`, e.g. "
    "`sections.0.conv1.weight`) and `re:` regular expressions (matched from the start of "
    "the name), or `__ALL__` / `__ALL_PRUNABLE__`. A bare string other than these tokens is "
    "rejected; write one pattern as a one-item list.")
PARAMS_STRICT_DESC = (
    "Require every entry of `params` to match at least one parameter (checked when the "
    "modifier binds to the model); false silently ignores entries that match nothing.")


class TrainableParamsModifier(ScheduledSpec):
    """Sets `requires_grad` of the params at `start_epoch` (freezing or unfreezing them) and
    restores the original flags at `end_epoch`."""

    tag: ClassVar[str] = "TrainableParamsModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_params.TrainableParamsModifier")
    family: ClassVar[Family] = "params"
    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    params: ParamsArg = Field(description=PARAMS_DESC)
    trainable: StrBoolArg = str_bool_field(
        description="`true` makes the params trainable, `false` freezes them (and clears "
                    "their gradients). Strings containing `f` or `0` (e.g. 'false') read as false.")
    params_strict: StrBoolArg = str_bool_field(
        True, description=PARAMS_STRICT_DESC + " Strings containing `f` or `0` read as false.")
    start_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch at which `requires_grad` is set (-1: at the first step).")
    end_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch at which the original `requires_grad` flags are restored: at "
                          "least `start_epoch`, or -1 to never restore them.")


class SetParamModifier(ScheduledSpec):
    """Copies `val` into the params once, at the first step with `epoch >= start_epoch`."""

    tag: ClassVar[str] = "SetParamModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_params.SetParamModifier")
    family: ClassVar[Family] = "params"
    end_rule: ClassVar[EndRule] = "fixed"

    params: ParamsArg = Field(description=PARAMS_DESC)
    val: Unchecked = unchecked_field(
        description="The value to write: a number or a nested list with exactly the shape "
                    "of each parameter (checked when the modifier binds to the model).",
        expects="number or nested list of numbers")
    params_strict: BoolArg = Field(True, description=PARAMS_STRICT_DESC)
    start_epoch: FloatArg = epoch_field(
        0.0, description="Epoch at which the value is written (-1: at the first step; the "
                         "default is 0).")
    end_epoch: FloatArg = epoch_field(
        -1.0, description="No effect on the params (they are set once), but a value other "
                          "than -1 counts towards `max_epochs`. At least -1; not compared "
                          "with `start_epoch`.")


class GradualParamModifier(ScheduledSpec):
    """Sets the params at every update to a linear interpolation between `init_val` (at
    `start_epoch`) and `final_val` (at `end_epoch`)."""

    tag: ClassVar[str] = "GradualParamModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_params.GradualParamModifier")
    family: ClassVar[Family] = "params"
    end_rule: ClassVar[EndRule] = "gt"
    min_end: ClassVar[float] = 0.0

    params: ParamsArg = Field(description=PARAMS_DESC)
    init_val: Unchecked = unchecked_field(
        description="Value at `start_epoch`: a number or nested list shaped like each param "
                    "(checked when the modifier binds to the model).",
        expects="number or nested list of numbers")
    final_val: Unchecked = unchecked_field(
        description="Value at `end_epoch`, with the same shape as `init_val`.",
        expects="number or nested list of numbers")
    start_epoch: FloatArg = epoch_field(
        description="Epoch the interpolation starts at (-1: from the first step).")
    end_epoch: FloatArg = epoch_field(
        description="Epoch the interpolation ends at: at least 0 and greater than "
                    "`start_epoch`.")
    update_frequency: NumArg = epoch_field(
        description="Epochs between updates; -1 or any value <= 0 updates every step. Must "
                    "be a YAML number, at least -1.")
    inter_func: Annotated[Literal["linear", "cubic", "inverse_cubic"],
                          choice_validator(*INTER_FUNCS)] = ignored_field(
        "linear", description="Must be `linear`, `cubic` or `inverse_cubic`, but has no "
                              "effect: the interpolation is always linear.",
        ignored="validated, then unused (the interpolation is always linear)")
    params_strict: BoolArg = Field(True, description=PARAMS_STRICT_DESC)
