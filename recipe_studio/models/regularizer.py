"""Weight-decay modifier (sparseml-recipes.md §5.3)."""

from __future__ import annotations

from typing import ClassVar

from recipe_studio.models.base import (
    EndRule, Family, FloatArg, ScheduledSpec, StrBoolArg, Unchecked, epoch_field,
    ignored_field, str_bool_field, unchecked_field,
)


class SetWeightDecayModifier(ScheduledSpec):
    """Sets `weight_decay` in the optimizer's param groups once, at the first step with
    `epoch >= start_epoch`."""

    tag: ClassVar[str] = "SetWeightDecayModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_regularizer."
        "SetWeightDecayModifier")
    family: ClassVar[Family] = "weight_decay"
    end_rule: ClassVar[EndRule] = "forced_neg1"

    weight_decay: Unchecked = unchecked_field(
        description="The weight decay to set (a non-negative number). Not checked by "
                    "SparseML: any value is written into the optimizer as is.",
        expects="number")
    start_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch at which the weight decay is set (-1: at the first step).")
    param_groups: Unchecked = unchecked_field(
        None, description="Indices of the optimizer param groups to set (a list of integers); "
                          "null or [] means all groups. An index that does not exist fails "
                          "at train (IndexError).",
        expects="list of integers or null")
    end_epoch: Unchecked = ignored_field(
        -1.0, description="Ignored: SparseML discards it and never ends this modifier.",
        ignored="replaced by -1 (the weight decay is set once and never reset)")
    constant_logging: StrBoolArg = str_bool_field(
        False, description="Log the weight decay at every step (true) or only after it "
                           "changes (false). Strings containing `f` or `0` read as false.")
