"""Learning-rate modifiers (sparseml-recipes.md §5.2, §6.2-6.4).

SparseML converts learning rates given as strings with `float()` (so `'1e-3'` works here,
unlike in the pruning sparsities), and checks names and ranges when the recipe is loaded.
Milestones, scheduler kwargs and param-group indices are only checked when training.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator

from recipe_studio.models.base import (
    CAST_FLOAT, CHOICE, RANGE, TYPE, EndRule, Family, FloatArg, ScheduledSpec, StrBoolArg, Unchecked,
    choice_validator, describe, epoch_field, ignored_field, py_float, rs_error,
    str_bool_field, unchecked_field,
)
from recipe_studio.numbers import as_written

LR_FUNCS = ("linear", "cosine", "cyclic_linear")
LR_CLASSES = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingWarmRestarts")
#: lr_kwargs keys each lr_class requires (SparseML's LearningRateModifier.validate_lr_info);
#: ExponentialLR is rewritten to StepLR with `step_size: 1.0` first
LR_KWARGS_REQUIRED: dict[str, tuple[str, ...]] = {
    "StepLR": ("gamma", "step_size"),
    "ExponentialLR": ("gamma",),
    "MultiStepLR": ("gamma", "milestones"),
    "CosineAnnealingWarmRestarts": ("lr_min", "cycle_epochs"),
}
#: lr_kwargs entries that are epochs (the rescaler scales them)
LR_KWARGS_EPOCH_KEYS = ["step_size", "milestones", "cycle_epochs"]


def _to_float_if_str(value: Any, name: str) -> Any:
    """`if isinstance(x, str): x = float(x)` as SparseML does for learning rates."""
    if isinstance(value, str):
        return py_float(value, name)
    return value


def positive_lr(value: Any, name: str) -> float:
    """SetLearningRate.learning_rate / LearningRate.init_lr: `0 < lr <= 1`."""
    value = _to_float_if_str(value, name)
    try:
        too_small = value <= 0.0
        too_large = value > 1.0
    except TypeError:
        raise rs_error(TYPE, f"`{name}` must be a number in (0, 1], got {describe(value)}") \
            from None
    if too_small:
        raise rs_error(RANGE, f"`{name}` must be greater than 0 (and at most 1), got "
                              f"{as_written(value)}")
    if too_large:
        raise rs_error(RANGE, f"`{name}` must be at most 1, got {as_written(value)}")
    return float(value)


def unit_lr(value: Any, name: str) -> float:
    """LearningRateFunction.init_lr / final_lr: `0 <= lr <= 1`."""
    value = _to_float_if_str(value, name)
    if not value and value != 0:  # null, [] and {} (SparseML: "must be within range")
        raise rs_error(TYPE, f"`{name}` must be a number in [0, 1], got {describe(value)}")
    try:
        out_of_range = value < 0.0 or value > 1.0
    except TypeError:
        raise rs_error(TYPE, f"`{name}` must be a number in [0, 1], got {describe(value)}") \
            from None
    if out_of_range:
        raise rs_error(RANGE, f"`{name}` must be within [0, 1], got {as_written(value)}")
    return float(value)


def _positive_lr_arg(value: Any, info: ValidationInfo) -> float:
    return positive_lr(value, info.field_name or "learning_rate")


def _unit_lr_arg(value: Any, info: ValidationInfo) -> float:
    return unit_lr(value, info.field_name or "init_lr")


def _floor_epoch_arg(value: Any, info: ValidationInfo) -> float:
    """LearningRateModifier: `float(start_epoch)` and then `math.floor(start_epoch)` on the
    raw value, so strings, infinities and NaN are rejected."""
    name = info.field_name or "start_epoch"
    converted = py_float(value, name)
    if isinstance(value, str):
        raise rs_error(TYPE, f"`{name}` must be a YAML number for LearningRateModifier, got "
                             f"{describe(value)} (SparseML calls `math.floor` on it)")
    if not math.isfinite(converted):
        raise rs_error(RANGE, f"`{name}` must be a finite number, got {as_written(value)}")
    return converted


def _lr_kwargs_arg(value: Any) -> Any:
    """SparseML only tests `'gamma' in lr_kwargs`: anything that is not a container fails."""
    if not isinstance(value, (dict, list, str)):
        raise rs_error(TYPE, f"`lr_kwargs` must be a mapping of scheduler arguments, got "
                             f"{describe(value)}")
    return value


#: a learning rate in (0, 1]; numeric strings converted
PositiveLR = Annotated[float, BeforeValidator(_positive_lr_arg), CAST_FLOAT]
#: a learning rate in [0, 1]; numeric strings converted
UnitLR = Annotated[float, BeforeValidator(_unit_lr_arg), CAST_FLOAT]
#: a finite YAML number (LearningRateModifier.start_epoch)
FloorEpochArg = Annotated[float, BeforeValidator(_floor_epoch_arg)]

_PARAM_GROUPS_DESC = (
    "Indices of the optimizer param groups to set (a list of integers); null or [] means "
    "all groups. Not checked at load: indices that do not exist are skipped, and if none "
    "exists training fails at the first update.")


class SetLearningRateModifier(ScheduledSpec):
    """Sets the learning rate once, at the first step with `epoch >= start_epoch`."""

    tag: ClassVar[str] = "SetLearningRateModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_lr.SetLearningRateModifier")
    family: ClassVar[Family] = "learning_rate"
    end_rule: ClassVar[EndRule] = "forced_neg1"

    learning_rate: PositiveLR = Field(
        description="The learning rate to set: greater than 0 and at most 1 (numeric strings "
                    "such as '1e-3' are converted).")
    param_groups: Unchecked = unchecked_field(
        None, description=_PARAM_GROUPS_DESC, expects="list of integers or null")
    start_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch at which the learning rate is set (-1: at the first step).")
    end_epoch: Unchecked = ignored_field(
        -1.0, description="Ignored: SparseML discards it and never ends this modifier.",
        ignored="replaced by -1 (the learning rate is set once and never reset)")
    constant_logging: StrBoolArg = str_bool_field(
        False, description="Log the learning rate at every step (true) or only when it "
                           "changes (false). Strings containing `f` or `0` read as false.")


class LearningRateFunctionModifier(ScheduledSpec):
    """Recomputes the learning rate every step from `start_epoch` to `end_epoch` with a
    linear, cosine or cyclic-linear function of the epoch."""

    tag: ClassVar[str] = "LearningRateFunctionModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_lr.LearningRateFunctionModifier")
    family: ClassVar[Family] = "learning_rate"
    end_rule: ClassVar[EndRule] = "gt"

    lr_func: Annotated[Literal["linear", "cosine", "cyclic_linear"],
                       choice_validator(*LR_FUNCS)] = Field(
        description="Shape of the schedule: `linear`, `cosine` or `cyclic_linear` "
                    "(a saw-tooth restarting at `init_lr` every `cycle_epochs`).")
    init_lr: UnitLR = Field(
        description="Learning rate at `start_epoch`, in [0, 1] (numeric strings converted).")
    final_lr: UnitLR = Field(
        description="Learning rate reached at `end_epoch`, in [0, 1] (numeric strings "
                    "converted).")
    start_epoch: FloatArg = epoch_field(
        description="Epoch the schedule starts at (-1: from the first step).")
    end_epoch: FloatArg = epoch_field(
        description="Epoch the schedule ends at; must be greater than `start_epoch` (-1 is "
                    "not allowed). An end between two steps makes linear overshoot.")
    cycle_epochs: Unchecked = Field(
        1.0, description="Length of one cycle in epochs, used by `cyclic_linear` only. Not "
                         "checked at load; 0, negative values or one-step cycles fail at "
                         "train (division by zero).",
        json_schema_extra={"x-epoch": True, "x-expects": "number"})
    param_groups: Unchecked = unchecked_field(
        None, description=_PARAM_GROUPS_DESC, expects="list of integers or null")
    update_frequency: Unchecked = ignored_field(
        -1.0, description="Ignored: the learning rate is recomputed at every step.",
        ignored="replaced by -1 (updates every step)")


class LearningRateModifier(ScheduledSpec):
    """Runs a torch learning-rate scheduler (StepLR, MultiStepLR, ExponentialLR or
    CosineAnnealingWarmRestarts) stepped at every optimizer step from `start_epoch`."""

    tag: ClassVar[str] = "LearningRateModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_lr.LearningRateModifier")
    family: ClassVar[Family] = "learning_rate"
    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    lr_class: Annotated[
        Literal["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingWarmRestarts"],
        choice_validator(*LR_CLASSES)] = Field(
        description="The torch scheduler: `StepLR`, `MultiStepLR`, `ExponentialLR` (saved "
                    "as StepLR with `step_size: 1.0`) or `CosineAnnealingWarmRestarts`.")
    lr_kwargs: Annotated[dict[Any, Any] | list[Any] | str,
                         BeforeValidator(_lr_kwargs_arg)] = Field(
        description="Arguments of the scheduler, epochs where they are durations. StepLR: "
                    "`gamma`, `step_size` (epochs). MultiStepLR: `gamma`, `milestones` "
                    "(absolute epochs, after `start_epoch` and before `end_epoch`). "
                    "ExponentialLR: `gamma` (decay per epoch). CosineAnnealingWarmRestarts: "
                    "`lr_min`, `cycle_epochs` (an integer number of epochs). Other keys go "
                    "to the torch class unchanged.",
        json_schema_extra={"x-epoch-keys": LR_KWARGS_EPOCH_KEYS})
    init_lr: PositiveLR = Field(
        description="Learning rate written into every param group at `start_epoch`: greater "
                    "than 0 and at most 1 (numeric strings converted).")
    start_epoch: FloorEpochArg = epoch_field(
        description="Epoch the scheduler starts at (-1: from the first step). Must be a YAML "
                    "number: SparseML rejects quoted numbers here.")
    end_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch the scheduler stops at (the learning rate then stays): at "
                          "least `start_epoch`, or -1 to run to the end of training.")
    update_frequency: Unchecked = ignored_field(
        -1.0, description="Ignored: the scheduler is stepped at every optimizer step.",
        ignored="replaced by -1 (updates every step)")
    constant_logging: StrBoolArg = str_bool_field(
        False, description="Log the learning rate at every step (true) or only when it "
                           "changes (false). Strings containing `f` or `0` read as false.")

    @model_validator(mode="after")
    def _lr_kwargs_keys(self) -> LearningRateModifier:
        kwargs = self.lr_kwargs
        if self.lr_class == "ExponentialLR" and not isinstance(kwargs, dict):
            raise rs_error(TYPE, f"`lr_kwargs` must be a mapping for `ExponentialLR`, got "
                                 f"{describe(kwargs)}", field="lr_kwargs")
        missing = [key for key in LR_KWARGS_REQUIRED[self.lr_class] if key not in kwargs]
        if missing:
            need = " and ".join(f"`{k}`" for k in LR_KWARGS_REQUIRED[self.lr_class])
            miss = ", ".join(f"`{k}`" for k in missing)
            raise rs_error(CHOICE if isinstance(kwargs, dict) else TYPE,
                           f"`lr_kwargs` for `{self.lr_class}` must contain {need}; missing "
                           f"{miss}", field="lr_kwargs", missing=missing)
        return self
