"""The legacy form of `!QuantizationModifier` (bits and flags instead of schemes), which
SparseML builds when any legacy-only field is present
(:data:`recipe_studio.models.quantization.LEGACY_ONLY_FIELDS`).

A module of its own so that a recipe with the scheme-based form never builds this class.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from recipe_studio.models.base import (
    TYPE, BoolArg, Unchecked, describe, epoch_field, py_float, rs_error, unchecked_field,
)
from recipe_studio.models.quantization import (
    CALIBRATION_DESC, END_DESC, FREEZE_BN_DESC, FUSE_NAME_DESC, OBSERVER_DESC, EndNeg1,
    OptionalEpoch, QuantizationSpec,
)


def _legacy_start_arg(value: Any) -> float:
    """Legacy class: `float(start_epoch)`, then compared as given (strings fail)."""
    converted = py_float(value, "start_epoch")
    if isinstance(value, str):
        raise rs_error(TYPE, "`start_epoch` must be a YAML number for the legacy "
                             f"QuantizationModifier, got {describe(value)}")
    return converted


def _submodules_arg(value: Any) -> Any:
    """A list is turned into a set: its items must be hashable (names)."""
    if isinstance(value, list):
        try:
            set(value)
        except TypeError:
            raise rs_error(TYPE, "`submodules` must be a list of module names, got "
                                 f"{describe(value)}") from None
    return value


class LegacyQuantizationModifier(QuantizationSpec):
    """Quantization-aware training, legacy form (bits and flags instead of schemes): chosen
    by SparseML for `!QuantizationModifier` when any legacy-only field is present."""

    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.quantization.legacy_modifier_quantization."
        "QuantizationModifier")

    start_epoch: Annotated[float, BeforeValidator(_legacy_start_arg)] = epoch_field(
        -1.0, description="Epoch QAT starts at (-1: when the modifier is initialized). Must "
                          "be a YAML number: the legacy class rejects quoted numbers.")
    submodules: Annotated[Any, BeforeValidator(_submodules_arg)] = unchecked_field(
        None, description="Exact names of the submodules to quantize (a `module.` prefix is "
                          "stripped); null quantizes the whole model. All must exist "
                          "(checked at modify time).", expects="list of module names or null")
    model_fuse_fn_name: Unchecked = unchecked_field(
        None, description=FUSE_NAME_DESC + " With `tensorrt: true` the default is `no_fuse`.",
        expects="string or null")
    disable_quantization_observer_epoch: OptionalEpoch = epoch_field(
        None, description=OBSERVER_DESC)
    freeze_bn_stats_epoch: OptionalEpoch = epoch_field(None, description=FREEZE_BN_DESC)
    end_epoch: EndNeg1 = Field(-1, description=END_DESC)
    model_fuse_fn_kwargs: Unchecked = unchecked_field(
        None, description="Keyword arguments for the fuse function.", expects="mapping or null")
    quantize_embeddings: BoolArg = Field(
        True, description="Quantize the weights of Embedding layers.")
    reduce_range: BoolArg = Field(
        False, description="Use 7 instead of 8 bits of range (for some x86 backends).")
    quantize_linear_activations: BoolArg = Field(
        True, description="Quantize the outputs of Linear layers (false with `tensorrt`).")
    quantize_conv_activations: BoolArg = Field(
        True, description="Quantize the outputs of Conv layers (false with `tensorrt`).")
    quantize_embedding_activations: BoolArg = Field(
        True, description="Quantize the outputs of Embedding layers (false with `tensorrt`).")
    activation_bits: Unchecked = unchecked_field(
        8, description="Number of bits for activations.", expects="integer")
    weight_bits: Unchecked = unchecked_field(8, description="Number of bits for weights.",
                                             expects="integer")
    num_calibration_steps: Unchecked = unchecked_field(
        None, description=CALIBRATION_DESC, expects="integer or null")
    exclude_batchnorm: BoolArg = Field(
        True, description="Leave BatchNorm layers unquantized.")
    exclude_module_types: Unchecked = unchecked_field(
        None, description="Module class names to leave unquantized.",
        expects="list of class names or null")
    custom_quantizable_module_types: Unchecked = unchecked_field(
        None, description="Extra module class names to quantize.",
        expects="list of class names or null")
    activation_qconfig_kwargs: Unchecked = unchecked_field(
        None, description="Extra arguments for the activation observers (e.g. `observer: "
                          "minmaxobserver`).", expects="mapping or null")
    weight_qconfig_kwargs: Unchecked = unchecked_field(
        None, description="Extra arguments for the weight observers.",
        expects="mapping or null")
    tensorrt: BoolArg = Field(
        False, description="Target TensorRT: symmetric int8, no fusing, no activation "
                           "quantization of linear/conv/embedding outputs.")
