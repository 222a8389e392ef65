"""Layer thinning: physically removes pruned filters/channels (sparseml-recipes.md §5.6)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field

from recipe_studio.models.base import (
    RANGE, TYPE, BoolArg, EndRule, Family, FloatArg, ScheduledSpec, Unchecked,
    choice_validator, describe, epoch_field, ignored_field, rs_error,
)
from recipe_studio.numbers import as_written


def check_dependency_map(value: Any) -> dict[str, Any]:
    """A mapping whose keys are strings (`param_group_dependency_map.keys()` must exist)."""
    if not isinstance(value, dict):
        raise rs_error(TYPE, "`param_group_dependency_map` must be a mapping of comma-joined "
                             f"param names to lists of dependent params, got {describe(value)}")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise rs_error(TYPE, "the keys of `param_group_dependency_map` must be strings "
                             "(comma-joined param names), got "
                             + ", ".join(describe(k) for k in bad[:3]))
    return value


def check_update_epochs(value: Any) -> list[Any] | None:
    """`update_epochs or []`, then: no repeated values and sorted ascending."""
    if value is None:
        return None
    if not value:
        return []
    if not isinstance(value, list):
        raise rs_error(TYPE, f"`update_epochs` must be a list of epochs, got {describe(value)}")
    try:
        repeated = len(set(value)) != len(value)
    except TypeError:
        raise rs_error(TYPE, "`update_epochs` must be a list of epochs (numbers), got "
                             f"{describe(value)}") from None
    if repeated:
        raise rs_error(RANGE, f"`update_epochs` values may not repeat, got {as_written(value)}")
    try:
        ordered = sorted(value)
    except TypeError:
        raise rs_error(TYPE, "`update_epochs` must be a list of epochs (numbers), got "
                             f"{describe(value)}") from None
    if ordered != value:
        raise rs_error(RANGE, f"`update_epochs` must be sorted in increasing order, got "
                              f"{as_written(value)}")
    return value


class LayerThinningModifier(ScheduledSpec):
    """Removes pruned filters or channels from the model (and the matching entries of
    dependent params) at each epoch in `update_epochs`, or at finalize if none ran."""

    tag: ClassVar[str] = "LayerThinningModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.modifier_thinning.LayerThinningModifier")
    family: ClassVar[Family] = "thinning"
    end_rule: ClassVar[EndRule] = "forced_neg1"

    param_group_dependency_map: Annotated[dict[str, Any], BeforeValidator(check_dependency_map)] = \
        Field(description="Which params to thin together: each key is a comma-joined list of "
                          "param names pruned with the same structure, each value the list of "
                          "params whose matching dimension must be removed too (e.g. the next "
                          "layer's weight, batch-norm params).")
    structure_type: Annotated[Literal["filter", "channel"],
                              choice_validator("filter", "channel")] = Field(
        "filter", description="`filter` removes output channels of the key params, `channel` "
                              "input channels.")
    start_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch the modifier starts at (-1: from the first step).")
    update_epochs: Annotated[list[Any] | None, BeforeValidator(check_update_epochs)] = epoch_field(
        None, description="Epochs at which to thin (at the first step at or after each), "
                          "sorted and without repeats; null or [] thins only at finalize.")
    strict: BoolArg = Field(
        True, description="Fail when the params of a group were not pruned identically.")
    end_epoch: Unchecked = ignored_field(
        -1, description="Ignored: SparseML discards it (the modifier never ends).",
        ignored="replaced by -1")
