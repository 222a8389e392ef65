"""The stage-recipe schemas against the judges on stage-level and modifier-level keys: a schema
may be looser than its library (JSON Schema cannot see everything), never stricter.

Variants of one recipe accepted by both libraries: every stage-level key either library reads
or ignores (`run_type`, `args`, `enabled`, `exclude_default`, `start`, `end`, unknown keys, keys
containing `modifiers`) and a few modifier-level ones, each with values of every YAML kind.
Whatever SparseML 1.8 accepts, `recipe-studio schema --target sparseml` accepts; whatever
llm-compressor 0.14 accepts, `--target llmcompressor` accepts; whatever either accepts, the
default schema accepts, but for a list under a `*_modifiers` key, which the default schema
checks as a classic recipe's list of modifiers (llm-compressor ignores it). recipe-studio's own
verdict (`load(text, target=...)`) equals each judge's on all of them.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from recipe_studio.models import schema
from recipe_studio.read.load import load
from recipe_studio.read.yamltree import to_python

BASE = """\
quant_stage:
{stage}  quant_modifiers:
    GPTQModifier:
      ignore: [lm_head]
      scheme: W4A16
      targets: [Linear]
{modifier}"""

VALUES = ["oneshot", "train", "once", "ONESHOT", "''", "null", "0", "1", "2", "-1", "0.5", "true",
          "false", "'yes'", "'Off'", "'true'", "x", "[1]", "[oneshot]", "{a: 1}", "{}",
          "eval(1)"]
STAGE_KEYS = ["run_type", "args", "enabled", "exclude_default", "start", "end", "group",
              "index", "foo", "modifiers", "modifiers_old", "other_modifiers", "args_evaluated"]
MODIFIER_KEYS = ["start", "end", "update", "group", "index", "run_type", "enabled", "foo"]


def variants() -> dict[str, str]:
    out = {}
    for key in STAGE_KEYS:
        for value in VALUES:
            out[f"stage {key}: {value}"] = BASE.format(stage=f"  {key}: {value}\n", modifier="")
    for key in MODIFIER_KEYS:
        for value in VALUES:
            out[f"modifier {key}: {value}"] = BASE.format(stage="",
                                                          modifier=f"      {key}: {value}\n")
    out["group run_type: oneshot"] = BASE.format(stage="", modifier="    run_type: oneshot\n")
    return out


def _data(text: str):
    recipe = load(text)
    return json.loads(json.dumps(to_python(recipe.doc.root), default=str))


@pytest.fixture(scope="module")
def judged():
    from recipe_studio.judges.runner import judge_texts
    from tests.conftest import require_judge as require

    texts = variants()
    out = {}
    for library in ("sparseml", "llmcompressor"):
        require(library)
        got = judge_texts(library, list(texts.values()), timeout=120)
        out[library] = dict(zip(texts, got))
    return texts, out


@pytest.mark.slow
@pytest.mark.sparseml
@pytest.mark.llmcompressor
def test_schemas_never_reject_what_the_judges_accept(judged):
    texts, verdicts = judged
    validators = {t: jsonschema.Draft7Validator(schema.build_schema(t))
                  for t in (None, "sparseml", "llmcompressor")}
    stricter, wrong_loader = [], []
    for name, text in texts.items():
        data = _data(text)
        flagged = {t: [e.message[:120] for e in v.iter_errors(data)]
                   for t, v in validators.items()}
        for library in ("sparseml", "llmcompressor"):
            verdict = verdicts[library][name]
            if load(text, target=library).ok != verdict.ok:
                wrong_loader.append((library, name, verdict.ok))
            if verdict.ok and flagged[library]:
                stricter.append((library, name, flagged[library]))
        either = verdicts["sparseml"][name].ok or verdicts["llmcompressor"][name].ok
        list_in_group = name.startswith("stage other_modifiers: [")
        if either and flagged[None] and not list_in_group:
            stricter.append(("default", name, flagged[None]))
    assert stricter == [], "\n".join(f"{a} {b}: {c[:1]}" for a, b, c in stricter)
    assert wrong_loader == []
    # the variants do tell the libraries apart: llm-compressor ignores what SparseML rejects
    rejected = {lib: {n for n, v in verdicts[lib].items() if not v.ok} for lib in verdicts}
    assert "stage run_type: once" in rejected["sparseml"] - rejected["llmcompressor"]
    assert "modifier foo: 1" in rejected["llmcompressor"] - rejected["sparseml"]


def test_run_type_is_typed_for_sparseml_only():
    text = BASE.format(stage="  run_type: once\n", modifier="")
    assert not load(text, target="sparseml").ok and load(text, target="llmcompressor").ok
    for target, flagged in ((None, False), ("sparseml", True), ("llmcompressor", False)):
        validator = jsonschema.Draft7Validator(schema.build_schema(target))
        assert bool(list(validator.iter_errors(_data(text)))) == flagged, target
