"""A broken configuration beside a recipe is a usage error (exit 2, the file and the problem)
in every command that reads recipes — never an internal error — one file or a directory
(the forked batch) alike."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prune-quantize.yaml"

CONFIGS = {
    "toml": ("select = [\n", "not valid TOML"),
    "stubs": ('modifier-stubs = ["missing.json"]\n', "does not exist"),
    "target": ('target = "pytorch"\n', "target"),
}

COMMANDS = {
    "validate one": ["validate", "r0.yaml"],
    "validate dir": ["validate", "."],
    "lint dir": ["lint", "."],
    "finalize": ["finalize", "r0.yaml"],
    "show": ["show", "r0.yaml"],
    "diff": ["diff", "r0.yaml", "r1.yaml"],
    "format": ["format", "--check", "r0.yaml"],
    "scale": ["scale", "r0.yaml", "--epochs", "20", "-o", "out.yaml"],
}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("command", COMMANDS)
def test_broken_configuration_is_exit_two(cli, tmp_path, config, command):
    content, fragment = CONFIGS[config]
    (tmp_path / ".recipe-studio.toml").write_text(content)
    for i in range(40):  # enough files for `validate .` / `lint .` to fork workers
        shutil.copy(EXAMPLE, tmp_path / f"r{i}.yaml")
    r = cli(*COMMANDS[command], cwd=tmp_path)
    assert r.code == 2, (r.code, r.out, r.err)
    assert "internal error" not in r.err and fragment in r.err, r.err
    assert ".recipe-studio.toml" in r.err or "missing.json" in r.err, r.err
    assert not (tmp_path / "out.yaml").exists()
