"""Knowledge-distillation modifiers (sparseml-recipes.md §5.8).

Both are inactive (a warning only) unless a `distillation_teacher` is passed to
`initialize`/`modify`; the distillation loss applies through `manager.loss_update(...)`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from recipe_studio.models.base import (
    RANGE, TYPE, BoolArg, EndRule, Family, FloatArg, ScheduledSpec, Unchecked, describe,
    epoch_field, ignored_field, rs_error, unchecked_field,
)

START_DESC = "Epoch distillation starts at (-1: from the first step)."
END_DESC = "Epoch distillation ends at: at least `start_epoch`, or -1 to never end."
UPDATE_FREQ_IGNORED = dict(
    description="Ignored: the distillation loss is added at every step.",
    ignored="replaced by -1 (updates every step)")


class DistillationSpec(ScheduledSpec):
    """Base of the distillation family (no tag of its own)."""

    family: ClassVar[Family] = "distillation"
    end_rule: ClassVar[EndRule] = "ge_or_neg1"


class DistillationModifier(DistillationSpec):
    """Output distillation: `loss = (1 - hardness) * task_loss + hardness * KL(student,
    teacher)` on temperature-softened outputs."""

    tag: ClassVar[str] = "DistillationModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.distillation.modifier_distillation."
        "DistillationModifier")

    start_epoch: FloatArg = epoch_field(-1.0, description=START_DESC)
    end_epoch: FloatArg = epoch_field(-1.0, description=END_DESC)
    distill_output_keys: Unchecked = unchecked_field(
        None, description="Keys (or indices) of the model outputs to distill when the outputs "
                          "are a mapping or tuple; null distills the whole output.",
        expects="list or null")
    teacher_input_keys: Unchecked = unchecked_field(
        None, description="Keys of the student inputs to pass to the teacher; null passes "
                          "the inputs unchanged.", expects="list or null")
    update_frequency: Unchecked = ignored_field(-1.0, **UPDATE_FREQ_IGNORED)
    hardness: Unchecked = unchecked_field(
        0.5, description="Weight of the distillation loss, in [0, 1]: 0 is the task loss only, "
                         "1 the distillation loss only. Not checked at load.",
        expects="number in [0, 1]")
    temperature: Unchecked = unchecked_field(
        2.0, description="Softmax temperature applied to student and teacher outputs "
                         "(greater than 0). Not checked at load.", expects="positive number")


class PerLayerDistillationModifier(DistillationSpec):
    """Feature distillation: matches intermediate layer outputs of the student and teacher
    (with optional learned projections), weighted by `gain`."""

    tag: ClassVar[str] = "PerLayerDistillationModifier"
    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.distillation.modifier_per_layer."
        "PerLayerDistillationModifier")

    gain: Unchecked = unchecked_field(
        1.5, description="Weight of the feature-distillation loss added to the task loss.",
        expects="number")
    start_epoch: FloatArg = epoch_field(-1.0, description=START_DESC)
    end_epoch: FloatArg = epoch_field(-1.0, description=END_DESC)
    update_frequency: Unchecked = ignored_field(-1.0, **UPDATE_FREQ_IGNORED)
    normalize: BoolArg = Field(
        True, description="Normalise the feature maps before comparing them.")
    student_layer_names: Unchecked = unchecked_field(
        None, description="Names of the student modules whose outputs are distilled; null "
                          "uses every Conv/Linear layer, or `teacher_layer_names` when only "
                          "that is given. Same length as `teacher_layer_names`.",
        expects="list of module names or null")
    teacher_layer_names: Unchecked = unchecked_field(
        None, description="Names of the matching teacher modules; null copies "
                          "`student_layer_names`.", expects="list of module names or null")
    project_features: BoolArg = Field(
        True, description="Learn a projection from student to teacher features (needed when "
                          "their shapes differ).")
    epsilon: Unchecked = unchecked_field(
        1e-6, description="Small constant added when normalising, to avoid division by zero.",
        expects="number")

    @model_validator(mode="after")
    def _layer_names(self) -> PerLayerDistillationModifier:
        student, teacher = self.student_layer_names, self.teacher_layer_names
        if student is not None and teacher is not None:
            for name, value in (("student_layer_names", student),
                                ("teacher_layer_names", teacher)):
                if not _has_len(value):
                    raise rs_error(TYPE, f"`{name}` must be a list of module names, got "
                                         f"{describe(value)}", field=name)
            if len(student) != len(teacher):
                raise rs_error(RANGE, "`student_layer_names` and `teacher_layer_names` must "
                                      f"have the same length, got {len(student)} and "
                                      f"{len(teacher)}", field="teacher_layer_names")
        elif student is not None or teacher is not None:
            name, value = (("student_layer_names", student) if student is not None
                           else ("teacher_layer_names", teacher))
            if not isinstance(value, (list, dict)):  # SparseML calls value.copy()
                raise rs_error(TYPE, f"`{name}` must be a list of module names, got "
                                     f"{describe(value)}", field=name)
        return self


def _has_len(value: Any) -> bool:
    try:
        len(value)
    except TypeError:
        return False
    return True
