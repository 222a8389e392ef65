"""The base classes of the stage-recipe models and the validators each library runs when it
creates a modifier (llm-compressor 0.14.0.1; SparseML 1.8's modifiers have none).

Each validator cites the library source it mirrors (paths relative to site-packages). Where the
library raises an exception pydantic does not catch (`NotImplementedError`, `AttributeError`)
these raise `ValueError`, so the problem is reported beside the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator


class SparseMLModifier(BaseModel):
    """A SparseML 1.8 modifier: pydantic's default `extra="ignore"` (no class sets `extra`),
    no validators (sparseml-recipes reference §6.3)."""

    model_config = ConfigDict(extra="ignore", protected_namespaces=(),
                              arbitrary_types_allowed=True)
    target: ClassVar[str] = "sparseml"
    library_class: ClassVar[str] = ""


class LLMCompressorModifier(BaseModel):
    """An llm-compressor 0.14 modifier: `extra="forbid"` (llmcompressor/modifiers/modifier.py:42)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=(),
                              arbitrary_types_allowed=True)
    target: ClassVar[str] = "llmcompressor"
    library_class: ClassVar[str] = ""


class AbstractModifier(BaseModel):
    """llm-compressor registers its abstract base `Modifier` too; creating it is a TypeError."""

    @model_validator(mode="before")
    @classmethod
    def abstract(cls, values: Any) -> Any:
        raise ValueError("Can't instantiate abstract class Modifier")


def _is_preset(name: Any) -> bool:
    from recipe_studio.models.stage.ct_0_19 import is_preset_scheme

    return isinstance(name, str) and is_preset_scheme(name)


class QuantizationMixin(BaseModel):
    """`QuantizationMixin` (llmcompressor/modifiers/quantization/quantization/mixin.py:145-312):
    GPTQ, Quantization and AutoRound."""

    @field_validator("targets", mode="before", check_fields=False)
    @classmethod
    def validate_targets(cls, value: Any) -> Any:  # mixin.py:145-150
        return [value] if isinstance(value, str) else value

    @field_validator("scheme", mode="before", check_fields=False)
    @classmethod
    def validate_scheme(cls, value: Any) -> Any:  # mixin.py:152-169
        message = ("`scheme` must either be a preset scheme name or a dictionary of preset "
                   "scheme names")
        if isinstance(value, str) and not _is_preset(value):
            raise ValueError(message)
        if isinstance(value, dict):
            for name in value:
                if isinstance(name, str) and not _is_preset(name):
                    raise ValueError(message)
            for key, target in value.items():
                value[key] = [target] if isinstance(target, str) else target
        return value

    @field_validator("observer", mode="before", check_fields=False)
    @classmethod
    def validate_observer(cls, value: Any) -> Any:  # mixin.py:171-191
        if value is None:
            return value
        if not isinstance(value, dict):
            raise ValueError("`observer` must be a dictionary")
        for key in value:
            if key not in ("weights", "input", "output"):
                raise ValueError(f"Invalid observer key '{key}'. Valid keys are: "
                                 "{'weights', 'input', 'output'}")
            if not isinstance(value[key], str):
                raise ValueError(f"Observer value for '{key}' must be a string")
        return value

    @model_validator(mode="after")
    def _set_requires_calibration_data(self) -> Any:  # mixin.py:298-312
        """`QuantizationModifier` (requires_calibration_data False unless set) resolves its
        quantization config at construction (`resolve_quantization_config`, mixin.py:326-377):
        `scheme` with `config_groups`, or observer fields with the `observer` dict, fail then."""
        from recipe_studio.models.stage.ct_0_19 import QuantizationScheme

        if self.requires_calibration_data or self.kv_cache_scheme is not None:
            return self
        if self.scheme is not None and self.config_groups is not None:
            raise ValueError("Please specify either `scheme` or `config_groups`")
        individual = (self.weight_observer, self.input_observer, self.output_observer)
        if any(o is not None for o in individual) and self.observer is not None:
            raise ValueError("Cannot specify both individual observer parameters "
                             "(weight_observer, input_observer, output_observer) and observer "
                             "dict. Please use either individual parameters or the observer dict.")
        if self.scheme is not None:
            scheme = {self.scheme: self.targets} if isinstance(self.scheme, str) else self.scheme
            for targets in scheme.values():
                QuantizationScheme(targets=targets)  # preset_name_to_scheme(name, targets)
        return self


class GPTQValidators(BaseModel):
    @field_validator("batched_quantization", check_fields=False)
    @classmethod
    def _validate_batched_quantization(cls, value: Any) -> Any:  # gptq/base.py:144-149
        if isinstance(value, int) and value <= 0:
            raise ValueError("batched_quantization must be a positive integer")
        return value


class SparsityValidators(BaseModel):
    """`SparsityModifierBase` (llmcompressor/modifiers/pruning/sparsegpt/sgpt_base.py:48-90):
    SparseGPT and Wanda."""

    @field_validator("sequential_update", mode="before", check_fields=False)
    @classmethod
    def validate_sequential_update(cls, value: Any) -> bool:  # sgpt_base.py:48-57
        return True  # any value, after a DeprecationWarning when falsy

    @field_validator("sparsity_profile", mode="before", check_fields=False)
    @classmethod
    def validate_sparsity_profile(cls, value: Any) -> Any:  # sgpt_base.py:59-70
        if value is None:
            return value
        if not isinstance(value, str):
            raise ValueError(f"`sparsity_profile` must be a string, got {value!r}")
        value = value.lower()
        if value != "owl":
            raise ValueError("Please choose profile from ['owl']")
        return value

    @model_validator(mode="after")
    def validate_model_after(self) -> Any:  # sgpt_base.py:72-90, 252-254
        owl = (self.owl_m is not None, self.owl_lmbda is not None, self.sparsity_profile == "owl")
        if any(owl) and not all(owl):
            raise ValueError('Must provide all of `profile="owl"`, `owl_m` and `owl_lmbda` or '
                             "none")
        parts = self.mask_structure.split(":")
        if len(parts) != 2:
            raise ValueError(f"`mask_structure` must be `N:M`, got {self.mask_structure!r}")
        for part in parts:
            int(part)  # ValueError: invalid literal for int()
        return self


class MagnitudeValidators(BaseModel):
    @field_validator("leave_enabled", check_fields=False)
    @classmethod
    def validate_leave_enabled(cls, value: bool) -> bool:  # magnitude/base.py:41-49
        return False  # always, after a DeprecationWarning when set


class AWQValidators(BaseModel):
    @field_validator("duo_scaling", check_fields=False)
    @classmethod
    def validate_duo_scaling(cls, value: Any) -> Any:  # transform/awq/base.py:975-980
        if value not in (True, False, "both"):
            raise ValueError(f"duo_scaling must be True, False, or 'both', got {value!r}")
        return value


class REAPValidators(BaseModel):
    @model_validator(mode="after")
    def _validate_sparsity(self) -> Any:  # pruning/reap/base.py:87-91
        if not 0.0 < self.sparsity < 1.0:
            raise ValueError(f"sparsity must be in (0, 1), got {self.sparsity}")
        return self

    @model_validator(mode="after")
    def _validate_report_path(self) -> Any:  # reap/base.py:93-100 (which also creates the
        # report's directory: recipe-studio never does)
        if self.report_path is not None and not self.report_path.endswith(".json"):
            raise ValueError(f"report_path must end with .json, got {self.report_path}")
        return self


def _not_implemented(value: Any, info: ValidationInfo) -> Any:
    if value:
        raise ValueError(f"{info.field_name} is not supported as of now")
    return value


class SpinQuantValidators(BaseModel):
    validate_not_implemented = field_validator(  # spinquant/base.py:113-117
        "randomize", "learnable", mode="before", check_fields=False)(_not_implemented)

    @field_validator("rotations", mode="before", check_fields=False)
    @classmethod
    def validate_rotations(cls, value: Any) -> Any:  # spinquant/base.py:119-123
        if isinstance(value, Iterable):
            if not all(isinstance(v, str) for v in value):
                raise ValueError("`rotations` must be a list of `R1`-`R4`")
            return tuple(v.upper() for v in value)
        return value


class QuIPValidators(BaseModel):
    validate_not_implemented = field_validator(  # quip/base.py:90-94
        "randomize", "learnable", mode="before", check_fields=False)(_not_implemented)

    @field_validator("rotations", mode="before", check_fields=False)
    @classmethod
    def validate_lowercase_list(cls, value: Any) -> Any:  # quip/base.py:96-101
        if isinstance(value, list):
            value = [v.lower() if isinstance(v, str) else v for v in value]
        return value


#: SparseML 1.8's legacy `QuantizationScheme.load` string aliases
LEGACY_SCHEME_ALIASES = ("default", "deepsparse", "tensorrt")


def _legacy_scheme_alias(value: Any) -> None:
    if isinstance(value, str) and value not in LEGACY_SCHEME_ALIASES:
        raise ValueError(f"Unrecognized QuantizationScheme string alias {value}. "
                         f"Valid strings: {list(LEGACY_SCHEME_ALIASES)}")


class LegacyQuantizationValidators(BaseModel):
    """SparseML 1.8's PyTorch `LegacyQuantizationModifier.__init__` loads `scheme` and every
    `scheme_overrides` value (sparseml/modifiers/quantization_legacy/pytorch.py:68-73,
    utils/quantization_scheme.py:180-215): a string must be one of the aliases."""

    @field_validator("scheme", check_fields=False)
    @classmethod
    def _load_scheme(cls, value: Any) -> Any:
        _legacy_scheme_alias(value)
        return value

    @field_validator("scheme_overrides", check_fields=False)
    @classmethod
    def _load_scheme_overrides(cls, value: Any) -> Any:
        for scheme in (value or {}).values():
            _legacy_scheme_alias(scheme)
        return value
