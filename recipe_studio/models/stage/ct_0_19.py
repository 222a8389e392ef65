"""compressed-tensors 0.19.0's quantization models, as llm-compressor 0.14 validates `scheme`,
`config_groups` and `kv_cache_scheme` (`compressed_tensors/quantization/quant_args.py:98-397`,
`quant_scheme.py:26-96`): `extra="forbid"` and every construction-time validator.

Where the library raises a bare `NotImplementedError` (a float type with other than 4 or 8
bits, an input-activation strategy it cannot run) these models raise a `ValueError`, so that
the problem is reported with the others; the verdict (rejected) is the same.
"""

from __future__ import annotations

import json
from enum import Enum
from functools import lru_cache
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from recipe_studio.models.stage._types import TorchDtype

VERSION = "0.19.0"


@lru_cache(maxsize=1)
def presets() -> dict[str, dict]:
    """`PRESET_SCHEMES` (quant_scheme.py:404-439) with their expansion, from the dump."""
    from importlib import resources

    data = json.loads(resources.files("recipe_studio.judges").joinpath(
        "data/llmcompressor.json").read_text(encoding="utf-8"))
    return data["compressed_tensors"]["presets"]


def is_preset_scheme(name: str) -> bool:
    return name.upper() in presets()


class QuantizationType(str, Enum):
    INT = "int"
    FLOAT = "float"


class QuantizationStrategy(str, Enum):
    TENSOR = "tensor"
    CHANNEL = "channel"
    GROUP = "group"
    BLOCK = "block"
    TOKEN = "token"
    TENSOR_GROUP = "tensor_group"
    ATTN_HEAD = "attn_head"


class DynamicType(str, Enum):
    LOCAL = "local"


class ActivationOrdering(str, Enum):
    WEIGHT = "weight"
    STATIC = "static"
    GROUP = "group"
    DYNAMIC = "dynamic"


class KVCacheScaleType(str, Enum):
    KEY = "k_scale"
    VALUE = "v_scale"
    QUERY = "q_scale"


class QuantizationStatus(str, Enum):
    INITIALIZED = "initialized"
    CALIBRATION = "calibration"
    FROZEN = "frozen"
    COMPRESSED = "compressed"
    DECOMPRESSED = "decompressed"


class CompressionFormat(str, Enum):
    dense = "dense"
    sparse_bitmask = "sparse-bitmask"
    sparse_24_bitmask = "sparse-24-bitmask"
    int_quantized = "int-quantized"
    float_quantized = "float-quantized"
    naive_quantized = "naive-quantized"
    pack_quantized = "pack-quantized"
    marlin_24 = "marlin-24"
    mixed_precision = "mixed-precision"
    nvfp4_pack_quantized = "nvfp4-pack-quantized"
    mxfp4_pack_quantized = "mxfp4-pack-quantized"
    mxfp8_quantized = "mxfp8-quantized"


_TOKENISH = ("token", "tensor", "tensor_group", "group")


class QuantizationArgs(BaseModel, use_enum_values=True):
    """Quantization of weights or activations (bits, type, symmetry, granularity)."""

    model_config = ConfigDict(extra="forbid")

    num_bits: int = 8
    type: QuantizationType = QuantizationType.INT
    symmetric: bool = True
    group_size: Optional[int] = None
    strategy: Optional[QuantizationStrategy] = None
    block_structure: Optional[list[int]] = None
    dynamic: Union[DynamicType, bool] = False
    actorder: Union[ActivationOrdering, bool, None] = None
    scale_dtype: Optional[TorchDtype] = None
    zp_dtype: Optional[TorchDtype] = None
    observer: Optional[str] = Field(
        default=None, description="Determines the method of computing quantization parameters "
        "(scales and zero-points). Defaults to min-max when not using dynamic quantization")
    observer_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="optional dict of kwargs to be passed directly to "
        "torch quantization Observers constructor excluding quantization range or symmetry")

    @field_validator("type", mode="before")
    @classmethod
    def validate_type(cls, value: Any) -> Any:
        return QuantizationType(value.lower()) if isinstance(value, str) else value

    @field_validator("group_size", mode="before")
    @classmethod
    def validate_group(cls, value: Any) -> Any:
        if value is None:
            return value
        try:
            small = value < -1
        except TypeError:
            raise ValueError(f"group_size must be an integer, got {value!r}") from None
        if small:
            raise ValueError(f"Invalid group size {value}. Use group_size > 0 for "
                             "strategy='group' and group_size = -1 for 'channel'")
        return value

    @field_validator("block_structure", mode="before")
    @classmethod
    def validate_block_structure(cls, value: Any) -> Any:
        if value is None:
            return value
        error = ValueError(f"Invalid block_structure '{value}'. Must be a list of positive "
                           "ints [rows, cols].")
        if isinstance(value, str):
            try:
                value = [int(x) for x in value.split("x")]
            except Exception:
                raise error from None
        if isinstance(value, (list, tuple)):
            if len(value) != 2 or not all(isinstance(v, int) for v in value) or \
                    not all(v > 0 for v in value):
                raise error
            return list(value)
        raise error

    @field_validator("strategy", mode="before")
    @classmethod
    def validate_strategy(cls, value: Any) -> Any:
        return QuantizationStrategy(value.lower()) if isinstance(value, str) else value

    @field_validator("actorder", mode="before")
    @classmethod
    def validate_actorder(cls, value: Any) -> Any:
        if isinstance(value, bool):
            if value:
                raise ValueError("actorder=True previously mapped to ActivationOrdering.GROUP, "
                                 "which has been removed. Consider using actorder='weight' "
                                 "instead.")
            return None
        if isinstance(value, str) and value.lower() in ("group", "dynamic"):
            raise ValueError(f"actorder='{value}' has been removed. Consider using "
                             "actorder='weight' or actorder=None instead.")
        return value

    @field_validator("dynamic", mode="before")
    @classmethod
    def validate_dynamic(cls, value: Any) -> Any:
        return DynamicType(value.lower()) if isinstance(value, str) else value

    @model_validator(mode="after")
    def validate_model_after(self) -> "QuantizationArgs":
        strategy, group_size, dynamic = self.strategy, self.group_size, self.dynamic
        if strategy is None:
            if group_size is None:
                strategy = "tensor"
            elif group_size > 0:
                strategy = "group"
            elif group_size == -1:
                strategy = "channel"
            else:
                raise ValueError(f"Invalid group size {group_size}. Use group_size > 0 for "
                                 "strategy='group' and group_size = -1 for 'channel'")
        if strategy == "token" and not dynamic:
            raise ValueError("Cannot perform static token quantization, please use "
                             "`dynamic=True`")
        if strategy in ("group", "tensor_group") and (group_size is None or group_size <= 0):
            raise ValueError(f"strategy {strategy} requires group_size to be set to a "
                             "positive value")
        if group_size is not None and group_size > 0 and strategy not in ("group", "tensor_group"):
            raise ValueError("group_size requires strategy to be set to 'group'")
        if strategy == "block" and self.block_structure is None:
            raise ValueError("Block strategy requires block structure")
        if self.block_structure is not None and strategy != "block":
            raise ValueError("Block structure requires block strategy")
        if dynamic:
            if strategy not in _TOKENISH:
                raise ValueError("One of token, tensor, tensor_group, group must be used for "
                                 "dynamic quant.")
            if dynamic == "local" and strategy != "tensor_group":
                raise ValueError("local is only supported for strategy tensor_group")
        if self.zp_dtype is None and self.type == "float" and self.num_bits not in (4, 8):
            # pytorch_dtype(): a bare NotImplementedError in the library
            raise ValueError("Only num_bits in (8) are supported")
        self.strategy = strategy
        return self


class QuantizationScheme(BaseModel, use_enum_values=True):
    """One entry of `config_groups`: the modules it targets and how each tensor is quantized."""

    model_config = ConfigDict(extra="forbid")

    targets: list[str]
    weights: Optional[QuantizationArgs] = None
    input_activations: Optional[QuantizationArgs] = None
    output_activations: Optional[QuantizationArgs] = None
    format: Optional[CompressionFormat] = None

    @model_validator(mode="after")
    def validate_model_after(self) -> "QuantizationScheme":
        inputs, outputs = self.input_activations, self.output_activations
        if inputs is not None:
            if inputs.strategy not in ("token", "tensor", "group", "tensor_group", "attn_head"):
                # a bare NotImplementedError in the library
                raise ValueError(f"Using {inputs.strategy} strategy is not supported for "
                                 "activation quantization")
            if inputs.actorder is not None:
                raise ValueError("Cannot apply actorder to input activations")
        if outputs is not None and outputs.actorder is not None:
            raise ValueError("Cannot apply actorder to output activations")
        if self.format == "mixed-precision":
            raise ValueError("mixed-precision cannot be set as a format for a QuantizationScheme")
        return self


MODELS = {"QuantizationArgs": QuantizationArgs, "QuantizationScheme": QuantizationScheme}
ENUMS = {"ActivationOrdering": ActivationOrdering, "DynamicType": DynamicType,
         "KVCacheScaleType": KVCacheScaleType, "QuantizationStatus": QuantizationStatus,
         "QuantizationStrategy": QuantizationStrategy, "QuantizationType": QuantizationType}
