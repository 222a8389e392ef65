"""docs/editors.md and the configuration files it shows cannot drift.

Every ```console block's `$ ` commands run from the repository root and must print what the
page shows; the configuration files agree with the generated schema files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib

import pytest

from editors.helpers import ROOT
from recipe_studio.models import schema

PAGE = ROOT / "docs" / "editors.md"
FILES = ROOT / "docs" / "editors"


def console_commands() -> list[tuple[str, str]]:
    """(command, expected output) for every `$ ` line of the page's console blocks."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", PAGE.read_text(), re.S):
        command, lines = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    out.append((command, "\n".join(lines)))
                command, lines = line[2:], []
            else:
                lines.append(line)
        if command is not None:
            out.append((command, "\n".join(lines)))
    return out


def test_the_page_shows_every_configuration_file():
    shown = {c.split()[1] for c, _ in console_commands() if c.startswith("cat ")}
    assert shown == {f"docs/editors/{p.name}" for p in FILES.iterdir()}


@pytest.mark.parametrize("command,expected", console_commands(), ids=lambda x: x[:40])
def test_console_block(command: str, expected: str):
    env = {**os.environ,
           "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n") == expected.rstrip("\n")


def test_vscode_settings_match_the_generated_files():
    settings = json.loads((FILES / "vscode-yaml-settings.json").read_text())
    assert settings["yaml.customTags"] == schema.custom_tags()
    assert list(settings["yaml.schemas"]) == [f"./{schema.SCHEMA_FILE}"]
    assert settings["yaml.yamlVersion"] == "1.1"
    lsp = json.loads((FILES / "vscode-lsp-settings.json").read_text())
    assert [lsp["glspc.server.command"], *lsp["glspc.server.commandArguments"]] == \
        ["recipe-studio", "lsp"]


def test_helix_and_yamlls_configurations():
    helix = tomllib.loads((FILES / "helix-languages.toml").read_text())
    server = helix["language-server"]["recipe-studio"]
    assert [server["command"], *server["args"]] == ["recipe-studio", "lsp"]
    assert {lang["name"] for lang in helix["language"]} == {"yaml", "markdown"}
    yamlls = (FILES / "neovim-yamlls.lua").read_text()
    assert f'"/{schema.CUSTOM_TAGS_FILE}"' in yamlls and f'"/{schema.SCHEMA_FILE}"' in yamlls
