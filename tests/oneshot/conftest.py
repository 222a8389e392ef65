"""Fixtures for `oneshot`: a checkpoint directory written byte by byte (fast tests), and the
tiny Llama model built once per session in llm-compressor's environment (slow tests)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "llmcompressor: runs llm-compressor 0.14's judge (the .venv-llmc environment)"
    )


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int], bytes]]) -> None:
    """name -> (dtype, shape, raw bytes), in the safetensors layout."""
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def pack_int4(values: list[int]) -> bytes:
    """compressed-tensors' packing of signed int4 values (value + 8, low nibble first), for a
    row length that is a multiple of 8."""
    nibbles = [v + 8 for v in values]
    return bytes(nibbles[i] | nibbles[i + 1] << 4 for i in range(0, len(nibbles), 2))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    from tests.conftest import require_judge as require

    require("llmcompressor")
    from recipe_studio.oneshot import tiny_model as make

    out = tmp_path_factory.mktemp("tiny-llama")
    facts = make(out)
    assert facts["layers"] == 2 and facts["hidden_size"] == 256
    return out
