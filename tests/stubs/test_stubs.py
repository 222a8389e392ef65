"""`recipe-studio stubs` and the `modifier-stubs` configuration (issue 12, custom modifiers).

The custom modifier classes are defined here, written into a temporary project and
introspected by the real command in a child interpreter; the recipes are then checked with
the catalogue it wrote, without importing anything.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

CLASSIC_MODULE = '''
from typing import List, Union

from sparseml.pytorch.sparsification.modifier import PyTorchModifierYAML
from sparseml.pytorch.sparsification.pruning import GlobalMagnitudePruningModifier


@PyTorchModifierYAML()
class AdaPruneGlobalMagnitudePruningModifier(GlobalMagnitudePruningModifier):
    """Global magnitude pruning with AdaPrune's layer-wise reconstruction.

    :param adaprune_steps: reconstruction steps per layer
    """

    def __init__(self, params: Union[str, List[str]], init_sparsity: float,
                 final_sparsity: float, start_epoch: float, end_epoch: float,
                 update_frequency: float, adaprune_steps: int = 100,
                 inter_func: str = "cubic", mask_type: str = "unstructured",
                 leave_enabled: bool = True):
        super().__init__(params=params, init_sparsity=init_sparsity,
                         final_sparsity=final_sparsity, start_epoch=start_epoch,
                         end_epoch=end_epoch, update_frequency=update_frequency,
                         inter_func=inter_func, mask_type=mask_type,
                         leave_enabled=leave_enabled)
        self._adaprune_steps = adaprune_steps
'''

CLASSIC_RECIPE = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0
  - !AdaPruneGlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 1.0
    end_epoch: 8.0
    update_frequency: 0.5
    adaprune_steps: 200
"""

SPARSEML_CORE_MODULE = '''
from typing import List, Optional

from sparseml.core import Modifier


class ShrinkModifier(Modifier):
    """Shrinks the targeted layers."""

    targets: List[str]
    factor: float = 0.5
    ignore: Optional[List[str]] = None
'''

LLMC_MODULE = '''
from typing import List, Literal, Optional

from llmcompressor.modifiers import Modifier


class ShrinkModifier(Modifier):
    """Shrinks the targeted layers."""

    targets: List[str]
    factor: float = 0.5
    mode: Literal["row", "column"] = "row"
    ignore: Optional[List[str]] = None

    def on_initialize(self, state, **kwargs) -> bool:
        return True
'''

STAGE_RECIPE = """\
shrink_stage:
  shrink_modifiers:
    ShrinkModifier:
      targets: [Linear]
      factor: 0.25
"""


def project(tmp_path: Path, module: str, text: str) -> Path:
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "tools").mkdir()
    return tmp_path


def configure(root: Path, *files: str) -> None:
    listed = ", ".join(f'"tools/{f}"' for f in files)
    (root / "pyproject.toml").write_text(
        f"[tool.recipe-studio]\nmodifier-stubs = [{listed}]\n", encoding="utf-8")


def codes(out: str) -> list[str]:
    return [line.split("]")[0].split("[")[1] for line in out.splitlines()
            if line.startswith(("error[", "warning["))]


# ---- with the real libraries (the command's child process imports the user's module) ----

@pytest.mark.slow
@pytest.mark.sparseml
def test_classic_pytorch_modifier_yaml_class(tmp_path, cli):
    root = project(tmp_path, "my_mods", CLASSIC_MODULE)
    recipe = root / "recipe.yaml"
    recipe.write_text(CLASSIC_RECIPE, encoding="utf-8")

    before = cli("validate", recipe, cwd=root)
    assert before.code == 1 and codes(before.out) == ["RS101"], before.out

    made = cli("stubs", "my_mods", "--output", "tools/modifiers.json", cwd=root)
    assert made.code == 0, made.err
    assert "1 modifier: !AdaPruneGlobalMagnitudePruningModifier" in made.err
    catalogue = json.loads((root / "tools/modifiers.json").read_text(encoding="utf-8"))
    (mod,) = catalogue["modifiers"]
    assert mod["kind"] == "classic" and mod["base"] == "GlobalMagnitudePruningModifier"
    fields = {f["name"]: f for f in mod["fields"]}
    assert fields["adaprune_steps"] == {
        "name": "adaprune_steps", "annotation": "int", "schema": {"type": "integer"},
        "required": False, "default": 100, "description": "reconstruction steps per layer"}
    assert fields["init_sparsity"]["required"] is True

    configure(root, "modifiers.json")
    after = cli("validate", recipe, cwd=root)
    assert after.code == 0, after.out
    assert cli("lint", recipe, cwd=root).code == 0

    # a typo in a field: did-you-mean; the inherited checks of SparseML's class still hold
    recipe.write_text(CLASSIC_RECIPE.replace("adaprune_steps", "adaprune_step")
                      .replace("end_epoch: 8.0", "end_epoch: 0.5"), encoding="utf-8")
    bad = cli("validate", recipe, cwd=root)
    assert bad.code == 1 and sorted(codes(bad.out)) == ["RS102", "RS204"], bad.out
    assert "did you mean `adaprune_steps`?" in bad.out


@pytest.mark.slow
@pytest.mark.sparseml
def test_sparseml_core_pydantic_modifier(tmp_path, cli):
    root = project(tmp_path, "my_core", SPARSEML_CORE_MODULE)
    recipe = root / "recipe.yaml"
    recipe.write_text(STAGE_RECIPE, encoding="utf-8")
    before = cli("validate", "--target", "sparseml", recipe, cwd=root)
    assert before.code == 1 and codes(before.out) == ["RS130"], before.out

    made = cli("stubs", "my_core", "-o", "tools/core.json", cwd=root)
    assert made.code == 0, made.err
    (mod,) = json.loads((root / "tools/core.json").read_text(encoding="utf-8"))["modifiers"]
    assert (mod["kind"], mod["library"], mod["extra"]) == ("stage", "sparseml", "ignore")

    configure(root, "core.json")
    assert cli("validate", "--target", "sparseml", recipe, cwd=root).code == 0
    recipe.write_text(STAGE_RECIPE.replace("factor: 0.25", "factor: big"), encoding="utf-8")
    bad = cli("validate", "--target", "sparseml", recipe, cwd=root)
    assert bad.code == 1 and codes(bad.out) == ["RS220"], bad.out


@pytest.mark.slow
@pytest.mark.llmcompressor
def test_llmcompressor_pydantic_modifier(tmp_path, cli):
    from tests.conftest import require_judge as require

    python = require("llmcompressor")
    root = project(tmp_path, "my_llmc", LLMC_MODULE)
    recipe = root / "recipe.yaml"
    recipe.write_text(STAGE_RECIPE, encoding="utf-8")
    before = cli("validate", "--target", "llmcompressor", recipe, cwd=root)
    assert before.code == 1 and codes(before.out) == ["RS130"], before.out

    made = cli("stubs", "my_llmc", "--python", python, "-o", "tools/llmc.json", cwd=root)
    assert made.code == 0, made.err
    (mod,) = json.loads((root / "tools/llmc.json").read_text(encoding="utf-8"))["modifiers"]
    assert (mod["library"], mod["extra"], mod["base"]) == ("llmcompressor", "forbid", None)

    configure(root, "llmc.json")
    # the stub is only llm-compressor's: the target is inferred from it
    assert cli("validate", recipe, cwd=root).code == 0
    recipe.write_text(STAGE_RECIPE.replace("factor:", "factr:") + "      mode: diagonal\n",
                      encoding="utf-8")
    bad = cli("validate", recipe, cwd=root)
    assert bad.code == 1 and sorted(codes(bad.out)) == ["RS131", "RS220"], bad.out
    assert "did you mean `factor`?" in bad.out


def test_import_error_is_reported(tmp_path, cli):
    (tmp_path / "broken_mods.py").write_text("import no_such_module_xyz\n", encoding="utf-8")
    made = cli("stubs", "broken_mods", cwd=tmp_path)
    assert made.code == 1
    assert "cannot import broken_mods" in made.err and "no_such_module_xyz" in made.err


def test_module_without_modifiers(tmp_path, cli):
    (tmp_path / "plain.py").write_text("X = 1\n", encoding="utf-8")
    made = cli("stubs", "plain", cwd=tmp_path)
    assert made.code == 1 and "register no modifier class" in made.err
    assert json.loads(made.out)["modifiers"] == []


# ---- from a catalogue alone (what lint time sees: no import) -----------------------------

def catalogue(*modifiers: dict) -> dict:
    return {"format": "recipe-studio-modifier-stubs/1", "modules": ["x"],
            "modifiers": list(modifiers)}


def f(name: str, schema: dict | None = None, **kw) -> dict:
    return {"name": name, "schema": schema or {}, "required": kw.pop("required", False), **kw}


CLASSIC_STUB = {
    "name": "MyPruningModifier", "kind": "classic", "class": "lab.MyPruningModifier",
    "base": None, "extra": "forbid",
    "fields": [f("params", {"anyOf": [{"type": "string"},
                                      {"type": "array", "items": {"type": "string"}}]},
                 required=True),
               f("start_epoch", {"type": "number"}, default=-1.0),
               f("strength", {"type": "number"}, default=0.5, description="how hard"),
               f("mode", {"enum": ["a", "b"]}, default="a")],
}
STAGE_STUB = {
    "name": "ShrinkModifier", "kind": "stage", "library": "llmcompressor", "base": None,
    "extra": "forbid",
    "fields": [f("targets", {"type": "array", "items": {"type": "string"}}, required=True),
               f("factor", {"type": "number"}, default=0.5)],
}


def write_stubs(root: Path, data: dict, name: str = "modifiers.json") -> None:
    (root / "tools").mkdir(exist_ok=True)
    (root / "tools" / name).write_text(json.dumps(data), encoding="utf-8")
    configure(root, name)


def test_classic_catalogue_fields_types_required(tmp_path, cli):
    write_stubs(tmp_path, catalogue(CLASSIC_STUB))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("modifiers:\n  - !MyPruningModifier\n    params: [re:.*weight]\n"
                      "    strength: 0.7\n", encoding="utf-8")
    assert cli("validate", recipe, cwd=tmp_path).code == 0
    recipe.write_text("modifiers:\n  - !MyPruningModifier\n    strenght: lots\n"
                      "    mode: c\n", encoding="utf-8")
    bad = cli("validate", recipe, cwd=tmp_path)
    assert sorted(codes(bad.out)) == ["RS102", "RS103", "RS203"], bad.out
    assert "did you mean `strength`?" in bad.out
    # a typo in the tag itself: did-you-mean names the stub
    recipe.write_text("modifiers:\n  - !MyPruningModifer\n    params: [a]\n", encoding="utf-8")
    typo = cli("validate", recipe, cwd=tmp_path)
    assert codes(typo.out) == ["RS101"] and "did you mean `!MyPruningModifier`?" in typo.out


def test_stage_catalogue(tmp_path, cli):
    write_stubs(tmp_path, catalogue(STAGE_STUB))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(STAGE_RECIPE, encoding="utf-8")
    assert cli("validate", recipe, cwd=tmp_path).code == 0
    recipe.write_text(STAGE_RECIPE.replace("targets: [Linear]\n", ""), encoding="utf-8")
    missing = cli("validate", recipe, cwd=tmp_path)
    assert missing.code == 1 and codes(missing.out) == ["RS132"], missing.out


def test_without_configuration_nothing_changes(tmp_path, cli):
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "modifiers.json").write_text(json.dumps(catalogue(CLASSIC_STUB)))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("modifiers:\n  - !MyPruningModifier\n    params: [a]\n", encoding="utf-8")
    assert codes(cli("validate", recipe, cwd=tmp_path).out) == ["RS101"]


def test_bad_catalogue_is_a_configuration_error(tmp_path, cli):
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "modifiers.json").write_text('{"modifiers": []}', encoding="utf-8")
    configure(tmp_path, "modifiers.json")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(CLASSIC_RECIPE, encoding="utf-8")
    result = cli("validate", recipe, cwd=tmp_path)
    assert result.code == 2 and "not a modifier-stubs catalogue" in result.err
    configure(tmp_path, "missing.json")
    result = cli("lint", recipe, cwd=tmp_path)
    assert result.code == 2 and "does not exist" in result.err


def test_schema_includes_the_stubs(tmp_path, cli):
    write_stubs(tmp_path, catalogue(CLASSIC_STUB, STAGE_STUB))
    result = cli("schema", "-o", "-", cwd=tmp_path)
    assert result.code == 0, result.err
    definitions = json.loads(result.out)["definitions"]
    stub = definitions["MyPruningModifier"]
    assert stub["properties"]["strength"]["description"] == "how hard"
    assert stub["additionalProperties"] is False
    assert {"$ref": "#/definitions/MyPruningModifier"} in definitions["modifier"]["anyOf"]
    tags = json.loads(cli("schema", "--custom-tags", "-o", "-", cwd=tmp_path).out)
    assert "!MyPruningModifier mapping" in tags


def test_language_server_analysis(tmp_path):
    from recipe_studio import stubs
    from recipe_studio.lsp import completion, hover
    from recipe_studio.lsp.analysis import analyze

    write_stubs(tmp_path, catalogue(CLASSIC_STUB))
    path = str(tmp_path / "r.yaml")
    text = "modifiers:\n  - !MyPruningModifier\n    params: [a]\n    strenght: 0.2\n"
    analysis = analyze(text, path)
    assert [d.code for d in analysis.diagnostics] == ["RS102"]
    with stubs.using(analysis.stubs):
        found = hover.hover_markdown(analysis, 4, 6)
        assert found is not None and "strength" in found[0]
    text = "modifiers:\n  - !MyPruningModifier\n    params: [a]\n    str\n"
    analysis = analyze(text, path)
    with stubs.using(analysis.stubs):
        labels = [i.label for i in completion.complete(analysis, 4, 7)]
    assert "strength" in labels


def test_every_command_reads_with_the_stubs(tmp_path, cli):
    """`finalize`, `show`, `diff`, `format` and `scale` take the catalogue of the file's
    configuration as `validate` does (`cli.stage_support`): the stubbed modifiers are known,
    with their fields in their order."""
    stage = tmp_path / "s.yaml"
    stage.write_text("shrink_stage:\n  shrink_modifiers:\n    ShrinkModifier:\n"
                     "      factor: 0.25\n      targets: [Linear]\n", encoding="utf-8")
    classic = tmp_path / "c.yaml"
    classic.write_text("modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n"
                       "    end_epoch: 4.0\n\n  - !MyPruningModifier\n    strength: 0.7\n"
                       "    params: [re:.*weight]\n", encoding="utf-8")
    commands = [("finalize", stage), ("finalize", classic), ("show", stage), ("show", classic),
                ("diff", stage, stage), ("diff", classic, classic),
                ("scale", classic, "-e", "8"), ("format", "--check", stage, classic)]
    before = {c: cli(*c, cwd=tmp_path) for c in commands}
    for c, r in before.items():
        if c[0] != "format":  # without the stubs: unknown modifiers
            assert r.code in (1, 2) and ("RS101" in r.err or "RS130" in r.err), (c, r.err)
    write_stubs(tmp_path, catalogue(CLASSIC_STUB, STAGE_STUB))
    from recipe_studio.cli import stage_support

    stage_support._CONFIGS.clear()  # one discovery per directory per run: a new run
    after = {c: cli(*c, cwd=tmp_path) for c in commands}
    for c, r in after.items():
        assert "RS101" not in r.err + r.out and "RS130" not in r.err + r.out, (c, r.err)
        assert r.code == (1 if c[0] == "format" else 0), (c, r.out, r.err)
    assert "ShrinkModifier" in after["finalize", stage].out
    assert "!MyPruningModifier" in after["finalize", classic].out
    assert "shrink/ShrinkModifier" in after["show", stage].out
    assert "MyPruning" in after["show", classic].out
    # format puts the stub's arguments in its fields' order (targets before factor, params
    # before strength), which it cannot know without the stubs
    assert before["format", "--check", stage, classic].code == 0
    formatted = cli("format", stage, classic, cwd=tmp_path)
    assert formatted.code == 0, formatted.err
    assert stage.read_text(encoding="utf-8").index("targets") < \
        stage.read_text(encoding="utf-8").index("factor")
    text = classic.read_text(encoding="utf-8")
    assert text.index("params") < text.index("strength")
    # a stub without a known base keeps SparseML's epoch fields: `scale` scales them
    timed = tmp_path / "t.yaml"
    timed.write_text("modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n"
                     "    end_epoch: 4\n  - !MyPruningModifier\n    params: [a]\n"
                     "    start_epoch: 1\n", encoding="utf-8")
    scaled = cli("scale", timed, "-e", "8", cwd=tmp_path)
    assert scaled.code == 0, scaled.err
    assert "params: [a]\n    start_epoch: 2\n" in scaled.out, scaled.out
    # a broken catalogue is a usage error for these commands too
    (tmp_path / "tools" / "modifiers.json").write_text('{"modifiers": []}', encoding="utf-8")
    stage_support._CONFIGS.clear()
    broken = cli("finalize", stage, cwd=tmp_path)
    assert broken.code == 2 and "not a modifier-stubs catalogue" in broken.err
