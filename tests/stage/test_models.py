"""The stage-recipe models against the libraries' own introspection (recipe_studio/judges/data):
every registered modifier, every field with its required-ness and default, `extra`, and every
construction-time validator accounted for; compressed-tensors' scheme models and enums too."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from pydantic_core import PydanticUndefined

from recipe_studio.models.stage import registry
from recipe_studio.models.stage._types import Marker

ROOT = Path(__file__).resolve().parents[2]
CT = {"sparseml": "ct_0_4", "llmcompressor": "ct_0_19"}


def dump(target: str) -> dict:
    return json.loads(resources.files("recipe_studio.judges").joinpath(
        f"data/{target}.json").read_text(encoding="utf-8"))


def _default(field) -> object:
    if field.default_factory is not None:
        return field.default_factory()
    return field.default


def _expected_default(f: dict, value: object) -> None:
    if f["default_factory"] is not None:
        assert f["default"] is None
        return  # the factory's value is checked through the instance below
    d = f["default"]
    if isinstance(d, dict) and "__type__" in d:
        assert isinstance(value, Marker) and str(value) == d["__repr__"]
    else:
        assert value == d and type(value) is type(d), (value, d)


@pytest.mark.parametrize("target", ["sparseml", "llmcompressor"])
def test_every_registered_modifier_has_a_model(target):
    assert set(registry(target)) == set(dump(target)["modifiers"])


def _cases():
    for target in ("sparseml", "llmcompressor"):
        for name in dump(target)["modifiers"]:
            yield target, name


@pytest.mark.parametrize("target,name", list(_cases()))
def test_model_matches_dump(target, name):
    record = dump(target)["modifiers"][name]
    model = registry(target)[name]
    assert model.library_class == record["class"]
    assert model.model_config.get("extra") == (record["extra"] or "ignore")
    fields = model.model_fields
    assert list(fields) == [f["name"] for f in record["fields"]]
    for f in record["fields"]:
        ours = fields[f["name"]]
        assert ours.is_required() == f["required"], f["name"]
        if not f["required"]:
            _expected_default(f, _default(ours))
    # every validator the library runs at construction has its counterpart
    theirs = {v["name"] for kind in record["validators"].values() for v in kind}
    decorators = model.__pydantic_decorators__
    ours = set(decorators.field_validators) | set(decorators.model_validators)
    assert theirs <= ours, theirs - ours


def test_lambda_factories_match_the_library():
    """The dumps name the lambdas only; their values were read in the library's source."""
    L = registry("llmcompressor")
    assert L["GPTQModifier"]().targets == ["Linear"]
    assert L["QuIPModifier"]().rotations == ["v"]
    assert [r.value if hasattr(r, "value") else r for r in L["SpinQuantModifier"]().rotations] \
        == ["R1", "R2"]


@pytest.mark.parametrize("target", ["sparseml", "llmcompressor"])
def test_compressed_tensors_models_match_dump(target):
    ct = importlib.import_module(f"recipe_studio.models.stage.{CT[target]}")
    data = dump(target)["compressed_tensors"]
    for name, model in ct.MODELS.items():
        record = data["models"][name]
        assert (model.model_config.get("extra") or "ignore") == (record["extra"] or "ignore"), name
        assert list(model.model_fields) == [f["name"] for f in record["fields"]], name
        for f in record["fields"]:
            ours = model.model_fields[f["name"]]
            assert ours.is_required() == f["required"], (name, f["name"])
            if not f["required"] and f["default_factory"] is None:
                value = ours.default
                value = getattr(value, "value", value)
                assert value == f["default"], (name, f["name"])
        theirs = {v["name"] for k, vs in record["validators"].items() if "validator" in k
                  for v in vs}
        decorators = model.__pydantic_decorators__
        assert theirs <= set(decorators.field_validators) | set(decorators.model_validators)
    for name, values in data["enums"].items():
        assert [e.value for e in ct.ENUMS[name]] == values, name
    presets = ct.PRESETS if hasattr(ct, "PRESETS") else tuple(ct.presets())
    assert sorted(presets) == sorted(data["presets"])


def test_generated_modules_are_in_sync():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_stage_models.py"),
                           "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
