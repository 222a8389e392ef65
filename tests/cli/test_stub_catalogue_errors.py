"""A modifier-stubs catalogue whose records no model can be built from (a field named like a
pydantic attribute or with a leading `_`, a non-string `doc`, a schema nested without end,
JSON nested past the parser's recursion) is a usage error naming the catalogue and the
modifier, in every command that reads recipes — never an internal error in the middle of a
load. A list of types (`"type": ["string", "null"]`, valid JSON Schema) is a union."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CUSTOM = Path(__file__).resolve().parents[2] / "examples" / "custom"
BASE = json.loads((CUSTOM / "modifiers.json").read_text())


def _with_field(**extra_field):
    data = json.loads(json.dumps(BASE))
    data["modifiers"][0]["fields"].append({"name": "zz", **extra_field})
    return json.dumps(data)


def _stage(fields):
    return json.dumps({"format": BASE["format"], "modifiers": [
        {"name": "GPTQModifier", "kind": "stage", "library": "sparseml", "fields": fields}]})


CATALOGUES = {
    "model_config field": (_stage([{"name": "model_config"}]), "model_config"),
    "dunder field": (_with_field(name="__class__"), "__class__"),
    "pydantic attribute": (_with_field(name="model_fields"), "model_fields"),
    "doc not a string": (json.dumps({**BASE, "modifiers": [{**BASE["modifiers"][0], "doc": 5}]}),
                         "`doc` must be a string"),
    "deep schema": (_with_field(schema=json.loads('{"type":"array","items":' * 400 + "{}"
                                                  + "}" * 400)), "nested deeper"),
    "deep JSON": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
}

COMMANDS = {
    "validate": ["validate", "adaprune.yaml"],
    "lint dir": ["lint", "."],
    "finalize": ["finalize", "adaprune.yaml"],
    "show": ["show", "adaprune.yaml"],
    "diff": ["diff", "adaprune.yaml", "adaprune.yaml"],
    "format": ["format", "--check", "adaprune.yaml"],
    "scale": ["scale", "adaprune.yaml", "--epochs", "20", "-o", "out.yaml"],
    "schema": ["schema", "-o", "schemas"],
}


@pytest.mark.parametrize("catalogue", CATALOGUES)
@pytest.mark.parametrize("command", COMMANDS)
def test_unbuildable_catalogue_is_exit_two(cli, tmp_path, catalogue, command):
    text, fragment = CATALOGUES[catalogue]
    shutil.copy(CUSTOM / "adaprune.yaml", tmp_path / "adaprune.yaml")
    shutil.copy(CUSTOM / ".recipe-studio.toml", tmp_path / ".recipe-studio.toml")
    (tmp_path / "modifiers.json").write_text(text)
    r = cli(*COMMANDS[command], cwd=tmp_path)
    assert r.code == 2, (r.code, r.out, r.err)
    assert "internal error" not in r.err and fragment in r.err, r.err
    assert "modifiers.json" in r.err, r.err
    assert not (tmp_path / "out.yaml").exists()


def test_a_list_of_types_is_a_union(cli, tmp_path):
    shutil.copy(CUSTOM / ".recipe-studio.toml", tmp_path / ".recipe-studio.toml")
    (tmp_path / "modifiers.json").write_text(_with_field(schema={"type": ["string", "null"]}))
    recipe = (CUSTOM / "adaprune.yaml").read_text()
    (tmp_path / "ok.yaml").write_text(recipe + "    zz: abc\n")
    (tmp_path / "bad.yaml").write_text(recipe + "    zz: [1]\n")
    assert cli("validate", "ok.yaml", cwd=tmp_path).code == 0
    bad = cli("validate", "bad.yaml", cwd=tmp_path)
    assert bad.code == 1 and "zz" in bad.out + bad.err, (bad.out, bad.err)
