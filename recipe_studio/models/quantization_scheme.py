"""SparseML's quantization scheme, mirrored from its pydantic models: what
`QuantizationModifier`'s `scheme` and `scheme_overrides` values are validated against when
they are written as mappings (:func:`recipe_studio.models.quantization.load_scheme`).

A module of its own so that a recipe that names a scheme (or none) never builds these two
models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class QuantizationArgs(BaseModel):
    """sparseml...quantization_scheme.QuantizationArgs (same types, unknown keys ignored)."""

    model_config = ConfigDict(defer_build=True)

    num_bits: int = 8
    symmetric: bool = False
    strategy: str = "tensor"
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, value: str) -> str:
        if value not in ("tensor", "channel"):
            raise ValueError("strategy")
        return value


class QuantizationScheme(BaseModel):
    """sparseml...quantization_scheme.QuantizationScheme (same types, unknown keys ignored)."""

    model_config = ConfigDict(defer_build=True)

    input_activations: QuantizationArgs | None = None
    weights: QuantizationArgs | None = None
    output_activations: QuantizationArgs | None = None
    target_hardware: str | None = None
