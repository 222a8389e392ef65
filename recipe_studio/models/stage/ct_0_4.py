"""compressed-tensors 0.4.0's quantization models, as SparseML 1.8 validates `config_groups`
(`compressed_tensors/quantization/quant_args.py`, `quant_scheme.py`): unknown keys are ignored;
the one validator infers `strategy` from `group_size`."""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Field, ValidationInfo, field_validator

VERSION = "0.4.0"
#: `PRESET_SCHEMES` (quant_scheme.py:110-119); SparseML 1.8 checks them only at initialize
PRESETS = ("W8A8", "W4A16")


def is_preset_scheme(name: str) -> bool:
    return name.upper() in PRESETS


class QuantizationType(str, Enum):
    INT = "int"
    FLOAT = "float"


class QuantizationStrategy(str, Enum):
    TENSOR = "tensor"
    CHANNEL = "channel"
    GROUP = "group"
    BLOCK = "block"
    TOKEN = "token"


class QuantizationStatus(str, Enum):
    INITIALIZED = "initialized"
    CALIBRATION = "calibration"
    FROZEN = "frozen"
    COMPRESSED = "compressed"


class QuantizationArgs(BaseModel):
    """Quantization of weights or activations (bits, type, symmetry, granularity)."""

    num_bits: int = 8
    type: QuantizationType = QuantizationType.INT
    symmetric: bool = True
    group_size: Optional[int] = None
    strategy: Optional[QuantizationStrategy] = Field(default=None, validate_default=True)
    block_structure: Optional[str] = None
    dynamic: bool = False
    observer: str = "minmax"
    observer_kwargs: Dict[str, Any] = Field(default_factory=dict)

    @field_validator("strategy", mode="before")
    @classmethod
    def validate_strategy(cls, value: Any, info: ValidationInfo) -> Any:
        group_size = info.data.get("group_size")
        if group_size is not None and value is None:
            if group_size > 0:
                return QuantizationStrategy.GROUP
            if group_size == -1:
                return QuantizationStrategy.CHANNEL
            raise ValueError(
                f"group_size={group_size} with strategy {value} is invalid: group_size > 0 for "
                "strategy='group' and group_size = -1 for 'channel'")
        if value == QuantizationStrategy.GROUP and group_size is None:
            raise ValueError(f"strategy {value} requires group_size to be set.")
        if value is None:
            return QuantizationStrategy.TENSOR
        return value


class QuantizationScheme(BaseModel):
    """One entry of `config_groups`: the modules it targets and how each tensor is quantized."""

    targets: List[str]
    weights: Optional[QuantizationArgs] = None
    input_activations: Optional[QuantizationArgs] = None
    output_activations: Optional[QuantizationArgs] = None


MODELS = {"QuantizationArgs": QuantizationArgs, "QuantizationScheme": QuantizationScheme}
ENUMS = {"QuantizationStatus": QuantizationStatus, "QuantizationStrategy": QuantizationStrategy,
         "QuantizationType": QuantizationType}
