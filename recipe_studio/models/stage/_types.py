"""Types shared by the stage-recipe models: values no recipe can produce, torch dtypes by name,
and the small models llm-compressor / SparseML nest in modifier fields."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, field_validator
from pydantic_core import PydanticCustomError


def _reject(value: Any) -> Any:
    raise PydanticCustomError(
        "rs_opaque", "holds a runtime object (a module, callable, device or tensor type) that no "
        "recipe value can be")


#: a field whose type is a runtime object (torch module, callable, `torch.device`, sentinel):
#: the library checks `isinstance`, which no YAML value passes (None only where Optional)
Opaque = Annotated[Any, PlainValidator(_reject)]


class Marker(str):
    """A default the library holds as an object (a Sentinel, a torch dtype), by its repr."""

    def __repr__(self) -> str:
        return f"Marker({str(self)!r})"


#: torch 2.13's dtype names (`getattr(torch, name)` is a dtype)
TORCH_DTYPES = frozenset(
    "bfloat16 bit bits16 bits1x8 bits2x4 bits4x2 bits8 bool cdouble cfloat chalf complex128 "
    "complex32 complex64 double float float16 float32 float4_e2m1fn_x2 float64 float8_e4m3fn "
    "float8_e4m3fnuz float8_e5m2 float8_e5m2fnuz float8_e8m0fnu half int int1 int16 int2 int3 "
    "int32 int4 int5 int6 int64 int7 int8 long qint32 qint8 quint2x4 quint4x2 quint8 short uint1 "
    "uint16 uint2 uint3 uint32 uint4 uint5 uint6 uint64 uint7 uint8".split())


def _dtype(name: str) -> str:
    bare = name.removeprefix("torch.")
    if bare not in TORCH_DTYPES:
        raise ValueError(f"No such torch dtype `torch.{bare}`")
    return name


#: compressed-tensors 0.19's `TorchDtype`: a `torch.dtype`, or its name (`float16`, `torch.int8`)
TorchDtype = Annotated[str, AfterValidator(_dtype)]


def _wrap(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class AWQMapping(BaseModel):
    """llm-compressor's `AWQMapping` dataclass (`transform/awq/mappings.py`)."""

    smooth_layer: str
    balance_layers: list[str]
    activation_hook_target: Optional[str] = None


class SpinQuantMapping(BaseModel):
    """llm-compressor's `SpinQuantMapping` (`transform/spinquant/mappings.py`)."""

    embedding: str
    attn: str
    attn_q: str
    attn_k: str
    attn_v: str
    attn_o: str
    attn_head_dim: Optional[int] = None
    mlp_in: list[str]
    mlp_out: list[str]
    lm_head: str

    _cast = field_validator("mlp_in", "mlp_out", mode="before")(_wrap)


class NormMapping(BaseModel):
    """llm-compressor's `NormMapping` (`transform/spinquant/norm_mappings.py`)."""

    norm: str
    linears: list[str]

    _cast = field_validator("linears", mode="before")(_wrap)


class SpinquantRotation(str, Enum):
    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"


class TransformLocation(str, Enum):
    INPUT = "input"
    WEIGHT_INPUT = "weight_input"
    WEIGHT_OUTPUT = "weight_output"
    OUTPUT = "output"
    K_CACHE = "k_cache"
    Q_ATTN = "q_attn"


class TransformArgs(BaseModel):
    """compressed-tensors 0.19's `TransformArgs`."""

    model_config = ConfigDict(extra="forbid")
    targets: list[str]
    location: TransformLocation
    inverse: bool = False
    ignore: list[str] = Field(default_factory=list)

    _wrap = field_validator("targets", "ignore", mode="before")(_wrap)


class TransformScheme(BaseModel):
    """compressed-tensors 0.19's `TransformScheme`."""

    model_config = ConfigDict(extra="forbid")
    type: str
    apply: list[TransformArgs] = Field(default_factory=list)
    randomize: bool = False
    requires_grad: bool = False
    head_dim: Optional[int] = None
    precision: TorchDtype = "float32"


class TransformConfig(BaseModel):
    """compressed-tensors 0.19's `TransformConfig`."""

    model_config = ConfigDict(extra="forbid")
    config_groups: dict[str, TransformScheme]


def _null(value: Any) -> Any:
    return None if value == "null" else value


class LegacyQuantizationArgs(BaseModel):
    """SparseML 1.8's legacy `QuantizationArgs` (`quantization_legacy/utils/quantization_scheme.py`)."""

    num_bits: int = 8
    symmetric: bool = False
    strategy: str = "tensor"
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("strategy")
    @classmethod
    def validate_strategy(cls, value: str) -> str:
        if value not in ("tensor", "channel"):
            raise ValueError(f"`strategy` must be one of ['tensor', 'channel'], got {value}")
        return value


class LegacyQuantizationScheme(BaseModel):
    """SparseML 1.8's legacy `QuantizationScheme` (the string `"null"` means None)."""

    input_activations: Optional[LegacyQuantizationArgs] = Field(
        default_factory=lambda: LegacyQuantizationArgs(num_bits=8, symmetric=False))
    weights: Optional[LegacyQuantizationArgs] = Field(
        default_factory=lambda: LegacyQuantizationArgs(num_bits=8, symmetric=True))
    output_activations: Optional[LegacyQuantizationArgs] = None
    target_hardware: Optional[str] = None

    _null = field_validator("input_activations", "weights", "output_activations",
                            "target_hardware", mode="before")(_null)
