"""`target_stage` / `--stage`: one stage of a stage recipe, selected as each library selects it.

* llm-compressor 0.14: `Recipe.create_instance(path, target_stage=NAME)` keeps the top-level
  keys that start with NAME (`recipe/utils.py:99-109`); `oneshot(stage=NAME)` passes it on.
* SparseML 1.8: a session's `recipe_stage=NAME` (`RecipeTuple(recipe, [NAME], {})`,
  `Recipe.simplify_combine_recipes`): every stage is parsed, only the stage whose name is
  exactly NAME (`quant` of `quant_stage`) is evaluated and created.

The verdicts and the created modifiers are the judges' (`recipe_studio.judges`, which run
exactly those paths); `finalize --stage` must reload, without a selection, into the
modifiers the judge creates with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from recipe_studio.read.load import load
from recipe_studio.transform.stage_finalize import finalize_yaml

TWO_STAGES = """\
sparsity_stage:
  run_type: oneshot
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      targets: ['re:model.layers.\\d+$']
quant_stage:
  run_type: oneshot
  quant_modifiers:
    NoSuchModifier:
      x: 1
"""

CASES = {
    # a stage the library cannot create (an unknown modifier) beside a good one
    "unknown": TWO_STAGES,
    # SparseML evaluates only the selected stage
    "eval": TWO_STAGES.replace("NoSuchModifier:\n      x: 1",
                               "QuantizationModifier:\n      targets: eval(nope)\n"
                               "      scheme: W8A8"),
    # create_instance parses every stage: a bad run_type fails SparseML whatever is selected
    "run_type": TWO_STAGES.replace("NoSuchModifier:\n      x: 1",
                                   "QuantizationModifier: {scheme: W8A8}")
                          .replace("run_type: oneshot\n  quant", "run_type: bogus\n  quant"),
    # arguments that are not a mapping: a parse error in SparseML, whatever is selected
    "args_list": TWO_STAGES.replace("NoSuchModifier:\n      x: 1",
                                    "QuantizationModifier: [W8A8]"),
    # empty arguments: an evaluation error in SparseML, only in the selected stage
    "args_empty": TWO_STAGES.replace("NoSuchModifier:\n      x: 1",
                                     "QuantizationModifier: {}"),
    # the variable's eval fails in SparseML whatever is selected
    "variable": "x: eval(nope)\n" + TWO_STAGES.replace(
        "NoSuchModifier:\n      x: 1", "QuantizationModifier: {scheme: W8A8, targets: Linear}"),
    # a stage under `stages:` keeps its key as its name in SparseML
    "listed": "stages:\n  first_stage:\n    q_modifiers:\n"
              "      ConstantPruningModifier: {targets: __ALL__}\n"
              "second_stage:\n  q_modifiers:\n      ConstantPruningModifier: {targets: [a]}\n",
}
#: selections: exact names, keys, prefixes and names that select nothing
STAGES = ["sparsity", "quant", "sparsity_stage", "spars", "first_stage", "first", "second",
          "none"]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("target-stage")
    out = {}
    for name, text in CASES.items():
        out[name] = root / f"{name}.yaml"
        out[name].write_text(text, encoding="utf-8")
    return out


def _created(verdict) -> list:
    """The modifiers a judge created: class and every field (SparseML: with their stage)."""
    rec = verdict.record
    if verdict.library == "llmcompressor":
        return [(m["class"], m["fields"]) for m in rec.get("modifiers", [])]
    return [(s["group"], [(m["class"], m["fields"]) for m in s["modifiers"]])
            for s in rec.get("stages", [])]


def _types(verdict) -> list[str]:
    rec = verdict.record
    if verdict.library == "llmcompressor":
        return [m["type"] for m in rec.get("modifiers", [])]
    return [m["type"] for s in rec.get("stages", []) for m in s["modifiers"]]


def test_selection_without_judges():
    """What each library keeps, read from the file alone."""
    both = {}
    for target in ("sparseml", "llmcompressor"):
        for stage in ("sparsity", "sparsity_stage", "spars", "quant"):
            r = load(TWO_STAGES, path="r.yaml", target=target, target_stage=stage)
            both[target, stage] = ([s.key for s in r.stage_recipe.stages], r.ok)
            assert r.stage_recipe.all_stages == [("sparsity_stage", "sparsity"),
                                                 ("quant_stage", "quant")]
    assert both == {
        ("sparseml", "sparsity"): (["sparsity_stage"], True),
        ("sparseml", "sparsity_stage"): ([], True),  # SparseML's names have no `_stage`
        ("sparseml", "spars"): ([], True),  # an exact name, not a prefix
        ("sparseml", "quant"): (["quant_stage"], False),
        ("llmcompressor", "sparsity"): (["sparsity_stage"], True),
        ("llmcompressor", "sparsity_stage"): (["sparsity_stage"], True),
        ("llmcompressor", "spars"): (["sparsity_stage"], True),  # a prefix of the key
        ("llmcompressor", "quant"): (["quant_stage"], False),
    }


@pytest.mark.slow
@pytest.mark.sparseml
@pytest.mark.llmcompressor
@pytest.mark.parametrize("library", ["sparseml", "llmcompressor"])
def test_selection_agrees_with_the_judge(library, files, tmp_path):
    """For every case and selection: the same verdict as the judge with that `target_stage`,
    the same modifiers selected, and the finalized selection reloads (without one) into the
    modifiers the judge created with it."""
    from recipe_studio.judges import judge
    from tests.conftest import require_judge as require

    require(library)
    names = list(files)
    finalized: dict[tuple[str, str], Path] = {}
    ours = {}
    for stage in STAGES:
        for name in names:
            recipe = load(files[name], target=library, target_stage=stage)
            ours[name, stage] = recipe
            if recipe.ok:
                out = tmp_path / f"{name}-{stage}.yaml"
                out.write_text(finalize_yaml(recipe), encoding="utf-8")
                finalized[name, stage] = out
    reloaded = dict(zip(finalized, judge(library, list(finalized.values()), timeout=120)))
    checked = selected = 0
    for stage in STAGES:
        theirs = dict(zip(names, judge(library, [files[n] for n in names], timeout=120,
                                       target_stage=stage)))
        for name in names:
            recipe, verdict = ours[name, stage], theirs[name]
            assert recipe.ok == verdict.ok, (name, stage, verdict.error_message,
                                             [d.message for d in recipe.errors])
            if not verdict.ok:
                continue
            assert [m.type for m in recipe.stage_recipe.modifiers] == _types(verdict), \
                (name, stage)
            again = reloaded[name, stage]
            assert again.ok, (name, stage, again.error_message)
            assert _created(again) == _created(verdict), (name, stage)
            checked += 1
            selected += bool(recipe.stage_recipe.stages)
    assert (checked, selected) == {"sparseml": (29, 5), "llmcompressor": (54, 23)}[library]


# ---- the command line ------------------------------------------------------------------------

def test_cli_stage_option(cli, tmp_path):
    (tmp_path / "r.yaml").write_text(TWO_STAGES, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n"
                                     "    end_epoch: 4\n", encoding="utf-8")
    r = tmp_path / "r.yaml"
    assert cli("validate", r).code == 1  # the unknown modifier of quant_stage
    for command in ("validate", "lint"):
        for target in ("sparseml", "llmcompressor"):
            ok = cli(command, "--target", target, "--stage", "sparsity", r)
            assert ok.code == 0, (command, target, ok.out, ok.err)
            bad = cli(command, "--target", target, "--stage", "quant", r)
            assert bad.code == 1 and "RS130" in bad.out
    # llm-compressor selects by prefix, SparseML by exact name: did-you-mean the name
    assert cli("validate", "--target", "llmcompressor", "--stage", "sparsity_stage", r).code == 0
    wrong = cli("validate", "--target", "sparseml", "--stage", "sparsity_stage", r)
    assert wrong.code == 2 and wrong.out == ""
    assert "selects no stage" in wrong.err and "did you mean `sparsity`?" in wrong.err
    assert "its stages: `sparsity`, `quant`" in wrong.err
    typo = cli("lint", "--target", "llmcompressor", "--stage", "quantt", r)
    assert typo.code == 2 and "did you mean `quant`?" in typo.err
    # every file is checked before any is reported; a classic recipe is a usage error
    both = cli("validate", "--stage", "sparsity", r, tmp_path / "c.yaml")
    assert both.code == 2 and "c.yaml: --stage selects a stage of a stage recipe" in both.err

    fin = cli("finalize", "--target", "sparseml", "--stage", "sparsity", r)
    assert fin.code == 0, fin.err
    assert fin.out.startswith("# Finalized by recipe-studio from ")
    assert "stage `sparsity` only" in fin.out.splitlines()[0]
    assert list(yaml.safe_load(fin.out)) == ["sparsity_stage"]
    fin = cli("finalize", "--target", "llmcompressor", "--stage", "spars", r)
    assert fin.code == 0 and list(yaml.safe_load(fin.out)) == ["sparsity_stage"]
    assert cli("finalize", "--stage", "nope", r).code == 2
    assert cli("finalize", "--stage", "sparsity", tmp_path / "c.yaml").code == 2

    shown = cli("show", "--target", "sparseml", "--stage", "sparsity", r)
    assert shown.code == 0, shown.err
    assert "1 stage, 1 modifier" in shown.out and "stage selection: only stage `sparsity`" \
        in shown.out and "quant" not in shown.out.split("stage selection")[1]
    shown = cli("show", "--target", "llmcompressor", "--stage", "quant", r)
    assert shown.code == 1 and "RS130" in shown.err
    assert cli("show", "--stage", "x", tmp_path / "c.yaml").code == 2

    other = tmp_path / "o.yaml"
    other.write_text(TWO_STAGES.replace("sparsity: 0.5", "sparsity: 0.7"), encoding="utf-8")
    same = cli("diff", "--target", "sparseml", "--stage", "quant", r, r)
    assert same.code == 2  # quant_stage cannot be built: nothing to compare
    differ = cli("diff", "--target", "sparseml", "--stage", "sparsity", r, other)
    assert differ.code == 1 and "0.5" in differ.out and "0.7" in differ.out
    assert cli("diff", "--stage", "nope", r, other).code == 2
    # a Python script builds modifier lists: no stage to select
    script = tmp_path / "run.py"
    script.write_text("from llmcompressor.modifiers.quantization import GPTQModifier\n"
                      "recipe = [GPTQModifier(scheme='W4A16', targets='Linear')]\n",
                      encoding="utf-8")
    py = cli("validate", "--stage", "quant", script)
    assert py.code == 2 and "Python script" in py.err
