"""Training-range and logging modifiers (sparseml-recipes.md §5.1)."""

from __future__ import annotations

from typing import ClassVar

from recipe_studio.models.base import (
    EndRule, Family, FloatArg, NumArg, ScheduledSpec, epoch_field,
)


class EpochRangeModifier(ScheduledSpec):
    """Declares the training range. No runtime effect; contributes to `max_epochs`."""

    tag: ClassVar[str] = "EpochRangeModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_epoch.EpochRangeModifier")
    family: ClassVar[Family] = "training"
    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    start_epoch: FloatArg = epoch_field(
        description="Epoch the training range starts at (at least -1; numeric strings are "
                    "converted).")
    end_epoch: FloatArg = epoch_field(
        description="Epoch the training range ends at: at least `start_epoch`, or -1 for "
                    "none. Integrations train for `max_epochs`, the largest start/end of "
                    "any modifier, so a later modifier silently extends training.")


class SparsificationLoggingModifier(ScheduledSpec):
    """Logs the model's sparsification (sparsity per layer) at each update."""

    tag: ClassVar[str] = "SparsificationLoggingModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.training.modifier_logging."
        "SparsificationLoggingModifier")
    family: ClassVar[Family] = "training"
    end_rule: ClassVar[EndRule] = "ge_or_neg1"

    start_epoch: FloatArg = epoch_field(
        description="Epoch logging starts at (-1: from the first step).")
    end_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch logging ends at: at least `start_epoch`, or -1 to never end.")
    update_frequency: NumArg = epoch_field(
        1.0, description="Epochs between log updates; -1 or any value <= 0 logs every step. "
                         "Must be a YAML number (at least -1): SparseML rejects quoted "
                         "numbers here.")
