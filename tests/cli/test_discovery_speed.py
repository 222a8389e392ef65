"""Discovery's "looks like a recipe" pattern is linear: a directory holding a `.yaml` file
whose head is one long word or only newlines is walked at once (the pattern's `\\w*modifiers`
and `^\\s*` made it quadratic: minutes for a 256 KiB head, a hung `validate .`)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prune-quantize.yaml"


@pytest.mark.parametrize("filler", [b"a", b"\n"])
def test_directory_with_a_pathological_head_is_quick(cli, tmp_path, filler):
    shutil.copy(EXAMPLE, tmp_path / "r.yaml")
    (tmp_path / "odd.yaml").write_bytes(filler * (256 * 1024))
    started = time.monotonic()
    r = cli("validate", ".", cwd=tmp_path)
    assert time.monotonic() - started < 10, "discovery took too long"
    assert r.code in (0, 1) and "internal error" not in r.err, (r.code, r.err)
