"""Quantization-aware training (sparseml-recipes.md §5.7, §6.5).

One tag, two classes: `!QuantizationModifier` builds the legacy class when any
legacy-only field is present (:data:`LEGACY_ONLY_FIELDS`, SparseML's
`_select_quantization_modifier`), else the scheme-based one. Both never end
(`end_epoch` must be -1) and require the BN-freeze and observer-disable epochs to be at
least `start_epoch`.

The legacy class is in `quantization_legacy` and the scheme's mapping form is checked
against the models of `quantization_scheme`: modules of their own, so that a recipe with
the scheme-based form and a named scheme builds neither (building a pydantic class is most
of what importing a model module costs).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from recipe_studio.models.base import (
    CHOICE, SCHEDULE, TYPE, BoolArg, EndRule, Family, FloatArg, ScheduledSpec, Unchecked,
    describe, epoch_field, real_number, rs_error, unchecked_field,
)
from recipe_studio.numbers import as_written, number_or_repr

SCHEME_ALIASES = ("default", "deepsparse", "tensorrt")

#: fields only the legacy class has (as ModifierProps): any of them selects the legacy class
LEGACY_ONLY_FIELDS = frozenset({
    "submodules", "quantize_embeddings", "reduce_range", "quantize_linear_activations",
    "quantize_conv_activations", "quantize_embedding_activations", "activation_bits",
    "weight_bits", "exclude_batchnorm", "exclude_module_types",
    "custom_quantizable_module_types", "activation_qconfig_kwargs", "weight_qconfig_kwargs",
    "tensorrt",
})
#: fields only the scheme-based class has
NEW_ONLY_FIELDS = frozenset({"scheme", "scheme_overrides", "ignore", "strict"})


_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "bool_type": "a boolean", "bool_parsing": "a boolean", "string_type": "a string",
    "dict_type": "a mapping", "model_type": "a mapping or null",
    "model_attributes_type": "a mapping or null",
}
_ARGS_KEYS = "`num_bits`, `symmetric`, `strategy`, `kwargs`"


def load_scheme(value: Any, name: str) -> Any:
    """QuantizationScheme.load: null, 'default', 'deepsparse', 'tensorrt' or a mapping."""
    if value is None or value == "default":
        return value
    if isinstance(value, str):
        if value in ("deepsparse", "tensorrt"):
            return value
        allowed = ", ".join(f"`{a}`" for a in SCHEME_ALIASES)
        close = [a for a in SCHEME_ALIASES if a == value.lower()]
        raise rs_error(CHOICE, f"`{name}` must be one of {allowed} or a mapping, got "
                               f"{describe(value)}",
                       **({"help": f"did you mean `{close[0]}`?", "suggestion": close[0]}
                          if close else {}))
    if not isinstance(value, dict):
        raise rs_error(TYPE, f"`{name}` must be a scheme name (`default`, `deepsparse`, "
                             f"`tensorrt`) or a mapping, got {describe(value)}")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise rs_error(TYPE, f"the keys of `{name}` must be strings (`input_activations`, "
                             f"`weights`, `output_activations`, `target_hardware`), got "
                             f"{describe(bad[0])}")
    # QuantizationScheme.load maps "None" to None, its __init__ maps "null" to None
    parsed = {k: (None if v == "None" or v == "null" else v) for k, v in value.items()}
    from recipe_studio.models.quantization_scheme import QuantizationScheme

    try:
        QuantizationScheme.model_validate(parsed)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = list(err["loc"])
        kind = err["type"]
        got = describe(err.get("input"))
        if loc and loc[-1] == "[key]":  # (..., "kwargs", <the key>, "[key]")
            path = ".".join([name, *(str(p) for p in loc[:-2])])
            raise rs_error(TYPE, f"the keys of `{path}` must be strings, got {got}") from None
        path = ".".join([name, *(str(p) for p in loc)])
        if kind == "value_error":
            raise rs_error(CHOICE, f"`{path}` must be `tensor` or `channel`, got {got}") \
                from None
        expected = _EXPECTED.get(kind, "valid")
        if kind in ("model_type", "model_attributes_type"):
            expected = f"a mapping of {_ARGS_KEYS}, or null"
        raise rs_error(TYPE, f"`{path}` must be {expected}, got {got}") from None
    return value


def _scheme_arg(value: Any) -> Any:
    return load_scheme(value, "scheme")


def _scheme_overrides_arg(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise rs_error(TYPE, "`scheme_overrides` must be a mapping of module names or types "
                             f"to schemes, got {describe(value)}")
    for key, scheme in value.items():
        load_scheme(scheme, f"scheme_overrides.{key}")
    return value


def _optional_epoch_arg(value: Any, info: ValidationInfo) -> float | None:
    """Compared with `start_epoch` as given: null or a YAML number."""
    if value is None:
        return None
    return real_number(value, info.field_name or "value")


def _end_must_be_neg1(value: Any) -> float:
    """`if end_epoch != -1: raise` (before any conversion: '-1' is rejected)."""
    if value != -1:
        raise rs_error(SCHEDULE, "`end_epoch` must be -1 for QuantizationModifier "
                                 f"(quantization is never switched off), got {describe(value)}")
    return -1.0


OptionalEpoch = Annotated[float | None, BeforeValidator(_optional_epoch_arg)]
EndNeg1 = Annotated[float, BeforeValidator(_end_must_be_neg1)]

OBSERVER_DESC = (
    "Epoch at which quantization observers stop updating the ranges (first step at or after "
    "it); null never disables them. At least `start_epoch`; usually a few epochs after QAT "
    "starts and before training ends.")
FREEZE_BN_DESC = (
    "Epoch at which batch-norm statistics are frozen (first step at or after it); null never "
    "freezes them. At least `start_epoch`.")
FUSE_NAME_DESC = (
    "How to fuse conv/bn/relu blocks before QAT: null or `conv_bn_relus` (SparseML's "
    "fusing), `no_fuse`, or the name of a method on the model (checked when QAT starts); "
    "the string 'none' means null.")
CALIBRATION_DESC = (
    "Number of calibration steps (batches, not epochs) run when QAT starts; needs a "
    "`calibration_dataloader` passed to initialize/modify. Null: no calibration.")
END_DESC = "Must be -1 (quantization, once enabled, is never switched off)."


class QuantizationSpec(ScheduledSpec):
    """Shared by both QuantizationModifier forms."""

    # fields named model_fuse_fn_* clash with pydantic's default protected namespace (< 2.10)
    model_config = ConfigDict(protected_namespaces=())

    tag: ClassVar[str] = "QuantizationModifier"
    family: ClassVar[Family] = "quantization"
    end_rule: ClassVar[EndRule] = "must_neg1"

    @model_validator(mode="after")
    def _event_epochs(self) -> QuantizationSpec:
        start = getattr(self, "start_epoch")
        for name in ("disable_quantization_observer_epoch", "freeze_bn_stats_epoch"):
            value = getattr(self, name)
            if value is not None and value < start:
                raise rs_error(SCHEDULE, f"`{name}` must be at least `start_epoch` "
                                         f"{number_or_repr(start)}, got {as_written(value)}",
                               field=name)
        return self


class QuantizationModifier(QuantizationSpec):
    """Quantization-aware training with quantization schemes (SparseML 1.8's current
    form): at `start_epoch` the model is fused and fake-quantization is inserted."""

    sparseml_class: ClassVar[str] = (
        "sparseml.pytorch.sparsification.quantization.modifier_quantization."
        "QuantizationModifier")

    start_epoch: FloatArg = epoch_field(
        -1.0, description="Epoch QAT starts at (-1: when the modifier is initialized).")
    scheme: Annotated[str | dict[str, Any] | None, BeforeValidator(_scheme_arg)] = Field(
        None, description="Quantization scheme for the whole model: null or `default` (8-bit "
                          "asymmetric activations, 8-bit symmetric weights), `deepsparse`, "
                          "`tensorrt` (symmetric activations, no fusing), or a mapping with "
                          "`input_activations`, `weights`, `output_activations` (each null or "
                          "`{num_bits, symmetric, strategy: tensor|channel, kwargs}`) and "
                          "`target_hardware`. Unknown keys are ignored.")
    scheme_overrides: Annotated[dict[Any, Any] | None, BeforeValidator(_scheme_overrides_arg)] \
        = Field(None, description="Schemes for parts of the model: keys are submodule-name "
                                  "prefixes (the longest wins) or module class names, values "
                                  "schemes as in `scheme`.")
    ignore: Unchecked = unchecked_field(
        None, description="Submodule names or module class names to leave unquantized "
                          "(checked when QAT starts if `strict`).",
        expects="list of names or null")
    disable_quantization_observer_epoch: OptionalEpoch = epoch_field(
        None, description=OBSERVER_DESC)
    freeze_bn_stats_epoch: OptionalEpoch = epoch_field(None, description=FREEZE_BN_DESC)
    model_fuse_fn_name: Unchecked = unchecked_field(
        None, description=FUSE_NAME_DESC, expects="string or null")
    model_fuse_fn_kwargs: Unchecked = unchecked_field(
        None, description="Keyword arguments for the fuse function.", expects="mapping or null")
    num_calibration_steps: Unchecked = unchecked_field(
        None, description=CALIBRATION_DESC, expects="integer or null")
    strict: BoolArg = Field(
        True, description="Fail when an `ignore` or `scheme_overrides` entry matches no "
                          "submodule (checked when QAT starts).")
    end_epoch: EndNeg1 = Field(-1.0, description=END_DESC)
