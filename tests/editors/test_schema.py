"""`recipe-studio schema`: the committed schema is current, matches the models, accepts every
recipe SparseML loads and enforces the ranges the models enforce."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import recipe_studio.cli.schema  # noqa: F401  (registers the command)
from recipe_studio.models import schema, catalog
from recipe_studio.models.base import ModifierSpec

ROOT = Path(__file__).resolve().parents[2]
from tests.conftest import CORPUS  # noqa: E402  ($RECIPE_STUDIO_CORPUS)


def _bases() -> dict[str, tuple[str, dict[str, Any]]]:
    """tests/models/cases.py's minimal accepted arguments per model."""
    spec = importlib.util.spec_from_file_location("_model_cases",
                                                  ROOT / "tests" / "models" / "cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BASES


BASES = _bases()


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return schema.build_schema()


@pytest.fixture(scope="module")
def validator(built):
    return jsonschema.Draft7Validator(built)


def test_committed_files_are_current():
    """Fails when the models changed and `recipe-studio schema` was not re-run."""
    committed = (ROOT / schema.SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == schema.render_schema(), \
        "schemas/recipe.schema.json is stale: run `recipe-studio schema`"
    tags = (ROOT / schema.CUSTOM_TAGS_FILE).read_text(encoding="utf-8")
    assert tags == schema.render_custom_tags(), \
        "schemas/custom-tags.json is stale: run `recipe-studio schema`"


def test_schema_is_valid_draft_07(built):
    assert built["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(built)


def test_one_closed_titled_schema_per_model(built):
    defs = built["definitions"]
    titles = []
    for model in catalog.MODELS:
        d = defs[model.__name__]
        assert d["additionalProperties"] is False
        assert d["type"] == "object"
        titles.append(d["title"])
        assert set(model.model_fields) <= set(d["properties"])
        extra = set(d["properties"]) - set(model.model_fields) - {"log_types"}
        if model.__name__ == "RigLPruningModifier":
            from recipe_studio.models.pruning import RIGL_FORWARDED
            assert extra == set(RIGL_FORWARDED)
        else:
            assert extra == set()
        # no `required`: checked against the best-matching branch, it named the wrong
        # modifier's fields (docs/editors.md); RS103 reports missing fields exactly
        assert "required" not in d
        for name, field in model.model_fields.items():
            assert d["properties"][name].get("description") == field.description
        assert model.tag in d["markdownDescription"]
    assert len(set(titles)) == len(titles) == len(catalog.MODELS)
    assert {"QuantizationModifier", "QuantizationModifier (legacy)"} <= set(titles)
    refs = [r["$ref"] for r in defs["modifier"]["anyOf"] if "$ref" in r]
    assert refs == [f"#/definitions/{m.__name__}" for m in catalog.MODELS]
    assert defs["modifier"]["anyOf"][-1] == {"enum": [None, ""]}  # `- !DistillationModifier`
    assert "oneOf" not in json.dumps(built)


def test_custom_tags_cover_every_tag_without_the_pytorch_spelling():
    tags = schema.custom_tags()
    assert len(tags) == len(set(tags))
    for tag in catalog.TAGS:
        assert f"!{tag} mapping" in tags
    # SparseML fails on `!pytorch.Name` in a recipe mapping (RS012): not offered
    assert not [t for t in tags if t.startswith("!pytorch.")]
    fieldless = {t.split()[0][1:] for t in tags if t.endswith(" scalar")}
    assert fieldless == {m.tag for m in catalog.MODELS
                         if not any(f.is_required() for f in m.model_fields.values())}
    assert {"DistillationModifier", "PerLayerDistillationModifier"} <= fieldless
    assert json.loads(schema.render_custom_tags()) == tags
    both = schema.custom_tags(pytorch_prefix=True)
    assert {f"!pytorch.{tag} mapping" for tag in catalog.TAGS} <= set(both)
    assert set(tags) < set(both)


def _modifier_doc(model: type[ModifierSpec], args: dict[str, Any]) -> dict[str, Any]:
    return {"modifiers": [json.loads(json.dumps(args))]}


def _valid_for(model: type[ModifierSpec], args: dict[str, Any]) -> bool:
    try:
        model.model_validate(args)
    except Exception:
        return False
    return True


def _branch_errors(built: dict[str, Any], model: type[ModifierSpec], args: dict[str, Any]):
    """Errors of `args` against the model's own closed schema."""
    sub = {**built, "$ref": f"#/definitions/{model.__name__}"}
    sub = {k: v for k, v in sub.items() if k not in ("properties", "patternProperties",
                                                      "additionalProperties", "type")}
    return list(jsonschema.Draft7Validator(sub).iter_errors(json.loads(json.dumps(args))))


@pytest.mark.parametrize("name", sorted(BASES))
def test_minimal_modifier_is_valid(built, validator, name):
    tag, args = BASES[name]
    model = next(m for m in catalog.MODELS if m.__name__ == name)
    assert _valid_for(model, args)
    assert _branch_errors(built, model, args) == []
    assert list(validator.iter_errors(_modifier_doc(model, args))) == []
    # every field accepts eval(...) (SparseML substitutes it before the model sees it)
    for field in args:
        assert _branch_errors(built, model, {**args, field: "eval(x)"}) == [], field


_BOUND_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "const")


def _numeric_bounds(prop: dict[str, Any]) -> dict[str, Any]:
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") in ("number", "integer"):
            return {k: v for k, v in branch.items() if k in _BOUND_KEYS}
    return {}


def _cases() -> list[tuple[str, str]]:
    out = []
    built = schema.build_schema()
    for model in catalog.MODELS:
        if model.__name__ not in BASES:
            continue
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            prop = built["definitions"][model.__name__]["properties"][name]
            if _numeric_bounds(prop) and not extra.get("x-expects"):
                out.append((model.__name__, name))
    return out


@pytest.mark.parametrize("model_name,field", _cases())
def test_ranges_match_the_models(built, model_name, field):
    """Each bound the schema declares for a field SparseML checks at load is the model's:
    the value at the bound and just beyond it get the same verdict from both."""
    model = next(m for m in catalog.MODELS if m.__name__ == model_name)
    _, base = BASES[model_name]
    prop = built["definitions"][model_name]["properties"][field]
    bounds = _numeric_bounds(prop)
    probes: list[float] = []
    for key, value in bounds.items():
        probes += [value, value - 0.5, value + 0.5, value - 1e-6, value + 1e-6]
    # keep the rest of the modifier consistent (ends after starts, windows non-empty)
    for value in probes:
        args = {**base, field: float(value)}
        if field == "start_epoch" and "end_epoch" in base and model.end_rule not in (
                "forced_neg1", "must_neg1"):
            args["end_epoch"] = max(float(base.get("end_epoch", -1)), float(value) + 1, 10.0)
        if field == "end_epoch" and "start_epoch" in model.model_fields:
            args["start_epoch"] = -1.0
        if model.__name__ == "ACDCPruningModifier" and not float(value).is_integer():
            continue
        ours = _branch_errors(built, model, args) == []
        assert ours == _valid_for(model, args), (field, value)


def test_quantization_forms_are_distinct(built):
    defs = built["definitions"]
    assert defs["QuantizationModifier"]["properties"]["end_epoch"]["anyOf"][0]["const"] == -1
    assert "submodules" in defs["LegacyQuantizationModifier"]["properties"]
    assert "submodules" not in defs["QuantizationModifier"]["properties"]


@pytest.mark.slow
@pytest.mark.corpus
def test_every_recipe_sparseml_loads_validates(validator):
    """No false positives over the real corpus (YAML and Markdown recipe cards)."""
    from recipe_studio.read.load import load
    from recipe_studio.read.yamltree import to_python

    checked = 0
    failures = {}
    for path in sorted((CORPUS / "classic").iterdir()) + sorted((ROOT / "examples").iterdir()):
        recipe = load(path)
        if not recipe.ok or recipe.doc is None or recipe.doc.root is None:
            continue
        checked += 1
        data = json.loads(json.dumps(to_python(recipe.doc.root), default=str))
        errors = list(validator.iter_errors(data))
        if errors:
            best = jsonschema.exceptions.best_match(errors)
            failures[path.name] = f"{list(best.absolute_path)}: {best.message}"
    assert checked > 250
    assert failures == {}


@pytest.mark.slow
def test_schema_catches_typos_types_and_ranges(validator):
    from recipe_studio.read.load import load
    from recipe_studio.read.yamltree import to_python

    good = (ROOT / "examples" / "prune-quantize.yaml").read_text()
    for old, new in [("final_sparsity: eval(target_sparsity)", "final_sparsty: 0.8"),
                     ("init_sparsity: 0.05", "init_sparsity: 1.5"),
                     ("init_sparsity: 0.05", "init_sparsity: [0.05]"),
                     ("update_frequency: 1.0", "update_frequency: '1.0'"),
                     ("lr_func: cosine", "lr_func: cosin")]:
        text = good.replace(old, new)
        assert text != good
        recipe = load(text)
        assert not recipe.ok
        data = json.loads(json.dumps(to_python(recipe.doc.root), default=str))
        assert list(validator.iter_errors(data)), new


def _schema_errors(validator, text: str) -> list[str]:
    from recipe_studio.read.load import load
    from recipe_studio.read.yamltree import to_python

    recipe = load(text)
    data = json.loads(json.dumps(to_python(recipe.doc.root), default=str))
    return [e.message for e in validator.iter_errors(data)]


def test_known_limits_of_the_schema_route(validator):
    """What the README says the schema cannot do (the tag is invisible to it): these
    recipes are wrong, recipe-studio says so, and the schema lets them through."""
    from recipe_studio.read.load import load

    good = (ROOT / "examples" / "prune-quantize.yaml").read_text()
    cases = {
        # a field that exists on a structurally similar modifier (GMPruningModifier)
        "RS102": good.replace("    leave_enabled: true",
                              "    leave_enabled: true\n    global_sparsity: true"),
        # a value substituted from a variable by eval(name)
        "RS203": good.replace("lr_func: cosine", "lr_func: eval(shape)").replace(
            "init_lr: 0.05", "init_lr: 0.05\nshape: cosin"),
        # a cross-field rule (end before start)
        "RS204": good.replace("    start_epoch: 0.0\n    end_epoch: eval(num_epochs)",
                              "    start_epoch: 60.0\n    end_epoch: eval(num_epochs)"),
    }
    for code, text in cases.items():
        assert text != good, code
        assert code in {d.code for d in load(text).errors}, code
        assert _schema_errors(validator, text) == [], code


def test_cli_check_write_and_stdout(cli, tmp_path):
    r = cli("schema", "--check", cwd=ROOT)
    assert r.code == 0, r.err
    assert "schemas/recipe.schema.json is up to date" in r.out

    r = cli("schema", "--check", cwd=tmp_path)
    assert r.code == 1
    assert "schemas/recipe.schema.json does not exist" in r.err
    assert not (tmp_path / "schemas").exists()

    r = cli("schema", cwd=tmp_path)
    assert r.code == 0, r.err
    assert (tmp_path / schema.SCHEMA_FILE).read_text() == schema.render_schema()
    assert (tmp_path / schema.CUSTOM_TAGS_FILE).read_text() == schema.render_custom_tags()
    assert cli("schema", "--check", cwd=tmp_path).code == 0

    (tmp_path / schema.SCHEMA_FILE).write_text("{}\n")
    r = cli("schema", "--check", cwd=tmp_path)
    assert r.code == 1 and "is out of date" in r.err
    assert (tmp_path / schema.SCHEMA_FILE).read_text() == "{}\n"  # --check writes nothing

    out = tmp_path / "tags.json"
    assert cli("schema", "--custom-tags", "-o", str(out)).code == 0
    assert json.loads(out.read_text()) == schema.custom_tags()
    assert cli("schema", "--custom-tags", "-o", str(out), "--check").code == 0

    r = cli("schema", "-o", "-")
    assert r.code == 0 and json.loads(r.out) == schema.build_schema()
    r = cli("schema", "-o", "-", "--check")
    assert r.code == 2 and "needs a file" in r.err
    r = cli("schema", "-o", str(tmp_path))
    assert r.code == 2 and "is a directory" in r.err
    r = cli("schema", "-o", str(tmp_path / "missing" / "dir" / "s.json"))
    assert r.code == 0 and (tmp_path / "missing" / "dir" / "s.json").is_file()


def test_schema_check_is_fast_and_light():
    """The before-stop check runs `recipe-studio schema --check`: no torch, pygls or
    jsonschema, and well under a second of CPU for the whole command (imports included;
    CPU time, so that a busy machine does not make the test flaky)."""
    probe = ("import sys, time\n"
             "import recipe_studio.cli.schema\n"
             "from recipe_studio.cli import main\n"
             "try:\n    main(['schema', '--check'])\n"
             "except SystemExit as e:\n    code = e.code\n"
             "heavy = sorted(m for m in ('torch', 'sparseml', 'pygls', 'lsprotocol', "
             "'jsonschema', 'onnx', 'numpy') if m in sys.modules)\n"
             "print(code, heavy, time.process_time())\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("0 [] "), out.stdout + out.stderr
    assert float(line.rsplit(" ", 1)[1]) < 1.0, line
