"""What a saved Hugging Face checkpoint holds: read with the standard library only.

* ``config.json``'s ``quantization_config`` as compressed-tensors writes it: format, each
  config group's weight scheme (type, bits, strategy, group size, symmetry), ignored modules,
  ``sparsity_config``;
* the safetensors files (``*.safetensors``, their 8-byte little-endian header length and JSON
  header): bytes on disk, and per layer weight how it is stored (dense float, packed int,
  int8/fp8, bitmask-sparse) and the fraction of its elements that are zero, read from the
  stored bytes (a packed int4 zero is the nibble 8, compressed-tensors' offset; a bitmask's
  zeros are its clear bits), and for 2:4 the fraction of blocks of four along the input
  dimension with at least two zeros.

Nothing is decompressed and nothing imports torch or safetensors; numpy counts the zeros
when it is installed (the core's pure-Python loops do otherwise, about 10 M weights/s).
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: bytes per element of the safetensors dtypes
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}
FLOATS = {"F64", "F32", "F16", "BF16"}
#: headers larger than this are refused (safetensors' own limit is 100 MB)
MAX_HEADER = 100 << 20


class CheckpointError(ValueError):
    """The directory is not a readable checkpoint."""


@dataclass
class TensorInfo:
    file: str
    dtype: str
    shape: list[int]
    start: int  # absolute offset in the file
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.start


@dataclass
class LayerWeight:
    """One module's weight as stored."""

    module: str
    storage: str  # "dense F16", "packed int4", "int8", "bitmask", ...
    shape: list[int]
    elements: int
    zeros: int | None
    #: fraction of blocks of 4 consecutive input elements holding at least 2 zeros
    blocks_2of4: float | None = None

    @property
    def sparsity(self) -> float | None:
        return None if self.zeros is None or not self.elements else self.zeros / self.elements


@dataclass
class Quantization:
    """`quantization_config` as compressed-tensors wrote it (None fields: absent)."""

    quant_method: str | None = None
    format: str | None = None
    status: str | None = None
    ignore: list[str] = field(default_factory=list)
    #: group name -> {"targets", "format", "weights": {...}, "input_activations": {...}}
    groups: dict[str, dict] = field(default_factory=dict)
    sparsity: dict = field(default_factory=dict)
    kv_cache_scheme: Any = None


@dataclass
class Checkpoint:
    path: str
    safetensors_bytes: int
    files: list[str]
    quantization: Quantization | None
    layers: list[LayerWeight]

    def layer(self, module: str) -> LayerWeight | None:
        return next((lw for lw in self.layers if lw.module == module), None)

    def to_json(self) -> dict:
        out = asdict(self)
        for entry, lw in zip(out["layers"], self.layers):
            entry["sparsity"] = lw.sparsity
        return out


def read_header(path: str | os.PathLike[str]) -> dict[str, TensorInfo]:
    """The tensors of one safetensors file, by name (offsets made absolute)."""
    name = os.path.basename(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise CheckpointError(f"{name}: not a safetensors file (shorter than 8 bytes)")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER:
            raise CheckpointError(f"{name}: header of {length} bytes (not a safetensors file?)")
        try:
            header = json.loads(f.read(length))
        except ValueError as e:
            raise CheckpointError(f"{name}: unreadable header: {e}") from None
    base = 8 + length
    out = {}
    for key, value in header.items():
        if key == "__metadata__":
            continue
        start, end = value["data_offsets"]
        out[key] = TensorInfo(str(path), value["dtype"], list(value["shape"]), base + start,
                              base + end)
    return out


def _read(info: TensorInfo) -> bytes:
    with open(info.file, "rb") as f:
        f.seek(info.start)
        return f.read(info.nbytes)


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _int_values(info: TensorInfo) -> list[int]:
    fmt = {"I64": "q", "I32": "i", "I16": "h", "I8": "b", "U8": "B"}[info.dtype]
    data = _read(info)
    return list(struct.unpack(f"<{len(data) // struct.calcsize(fmt)}{fmt}", data))


#: count with numpy when it is importable (the pure-Python loops read about 10 M weights/s)
USE_NUMPY = True


def _numpy():
    if not USE_NUMPY:
        return None
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _float_zeros(info: TensorInfo) -> tuple[int, float | None]:
    """Zeros (+0 and -0) of a float tensor, and the 2:4 block fraction along its last dim."""
    width = DTYPE_BYTES[info.dtype]
    sign = 1 << (8 * width - 1)
    data, np = _read(info), _numpy()
    if np is not None:
        words = np.frombuffer(data, dtype=f"<u{width}")
        return _count(np, (words == 0) | (words == sign), _cols(info))
    words = memoryview(data).cast({2: "H", 4: "I", 8: "Q"}[width])
    return _count(None, [w == 0 or w == sign for w in words], _cols(info))


def _byte_zeros(info: TensorInfo, zero_bytes: tuple[int, ...]) -> tuple[int, float | None]:
    data, np = _read(info), _numpy()
    if np is not None:
        return _count(np, np.isin(np.frombuffer(data, dtype=np.uint8), zero_bytes), _cols(info))
    return _count(None, [b in zero_bytes for b in data], _cols(info))


def _nibble_zeros(info: TensorInfo, cols: int, numel: int) -> tuple[int, float | None]:
    """Zeros of a compressed-tensors int4 packing (``pack_to_int32``: int32 words of 8
    nibbles, value+8 each, low nibble first, each row padded to whole words): a zero weight is
    the nibble 8."""
    data, np = _read(info), _numpy()
    padded = -(-cols // 8) * 8 if cols else 0
    if np is not None:
        raw = np.frombuffer(data, dtype=np.uint8)
        mask = np.stack([(raw & 0xF) == 8, (raw >> 4) == 8], axis=1).ravel()
        if padded and padded != cols and mask.size % padded == 0:
            mask = mask.reshape(-1, padded)[:, :cols].ravel()
        return _count(np, mask[:numel], cols)
    zeros: list[bool] = []
    for byte in data:
        zeros.append(byte & 0xF == 8)
        zeros.append(byte >> 4 == 8)
    if padded and padded != cols:  # drop the padding of each row
        zeros = [z for i, z in enumerate(zeros) if i % padded < cols]
    return _count(None, zeros[:numel], cols)


def _cols(info: TensorInfo) -> int:
    return int(info.shape[-1]) if info.shape else 0


def _count(np, zeros, cols: int) -> tuple[int, float | None]:
    """(number of zeros, fraction of blocks of 4 along the rows holding at least 2 zeros;
    None when the rows do not split into blocks of 4)."""
    n = len(zeros)
    if np is not None:
        total = int(zeros.sum())
        if not cols or cols % 4 or n < 4:
            return total, None
        blocks = zeros[: n // 4 * 4].reshape(-1, 4).sum(axis=1) >= 2
        return total, float(blocks.mean())
    total = sum(zeros)
    if not cols or cols % 4 or n < 4:
        return total, None
    good = sum(1 for i in range(0, n // 4 * 4, 4)
               if zeros[i] + zeros[i + 1] + zeros[i + 2] + zeros[i + 3] >= 2)
    return total, good / (n // 4)


def _bitmask_zeros(bitmask: TensorInfo, numel: int) -> int:
    data, np = _read(bitmask), _numpy()
    if np is not None:
        return numel - int(np.unpackbits(np.frombuffer(data, dtype=np.uint8)).sum())
    ones = sum(bin(b).count("1") for b in data)
    return numel - ones


def _layers(tensors: dict[str, TensorInfo], quant: Quantization | None,
            measure: bool) -> list[LayerWeight]:
    modules = sorted({name.rsplit(".", 1)[0] for name in tensors if "." in name})
    bits = {}
    if quant is not None:
        for group in quant.groups.values():
            weights = group.get("weights") or {}
            bits.setdefault("num_bits", weights.get("num_bits"))
    out = []
    for module in modules:
        def get(suffix: str) -> TensorInfo | None:
            return tensors.get(f"{module}.{suffix}")

        shape_info = get("weight_shape") or get("shape")
        shape = _int_values(shape_info) if shape_info is not None else None
        if (packed := get("weight_packed")) is not None and shape is not None:
            numel = _numel(shape)
            num_bits = bits.get("num_bits") or 4
            storage = f"packed int{num_bits}"
            zeros, blocks = (_nibble_zeros(packed, shape[-1], numel)
                             if measure and num_bits == 4 else (None, None))
        elif (bitmask := get("bitmask")) is not None and shape is not None:
            numel = _numel(shape)
            storage = "bitmask"
            zeros, blocks = (_bitmask_zeros(bitmask, numel), None) if measure else (None, None)
        elif (weight := get("weight")) is not None and len(weight.shape) == 2:
            shape, numel = weight.shape, _numel(weight.shape)
            if weight.dtype in FLOATS:
                storage = f"dense {weight.dtype}"
                zeros, blocks = _float_zeros(weight) if measure else (None, None)
            elif weight.dtype in ("I8", "F8_E4M3", "F8_E5M2", "U8"):
                storage = {"I8": "int8", "U8": "uint8"}.get(weight.dtype, weight.dtype.lower())
                zero_bytes = (0, 0x80) if weight.dtype.startswith("F8") else (0,)
                zeros, blocks = _byte_zeros(weight, zero_bytes) if measure else (None, None)
            else:
                continue
        else:
            continue
        out.append(LayerWeight(module, storage, list(shape), numel, zeros, blocks))
    return out


def read_quantization(config: dict) -> Quantization | None:
    qc = config.get("quantization_config")
    if not isinstance(qc, dict):
        return None
    groups = qc.get("config_groups") or {}
    return Quantization(
        quant_method=qc.get("quant_method"), format=qc.get("format"),
        status=qc.get("quantization_status"), ignore=list(qc.get("ignore") or []),
        groups={k: v for k, v in groups.items() if isinstance(v, dict)},
        sparsity=dict(qc.get("sparsity_config") or {}), kv_cache_scheme=qc.get("kv_cache_scheme"))


def inspect(directory: str | os.PathLike[str], *, measure: bool = True) -> Checkpoint:
    """Read a checkpoint directory (``config.json`` and every ``*.safetensors``).

    ``measure=False`` skips reading tensor data (zeros are then None)."""
    root = Path(directory)
    config_path = root / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CheckpointError(f"{config_path}: {e.strerror or e}") from None
    except ValueError as e:
        raise CheckpointError(f"{config_path}: not JSON: {e}") from None
    files = sorted(root.glob("*.safetensors"))
    if not files:
        raise CheckpointError(f"{root}: no *.safetensors file")
    tensors: dict[str, TensorInfo] = {}
    for f in files:
        tensors.update(read_header(f))
    quant = read_quantization(config)
    return Checkpoint(str(root), sum(f.stat().st_size for f in files),
                      [f.name for f in files], quant, _layers(tensors, quant, measure))


__all__ = ["Checkpoint", "CheckpointError", "LayerWeight", "Quantization", "inspect",
           "read_header", "read_quantization"]
