"""Conformance over ../shared/corpus: SparseML 1.8 is the judge.

* `validate` gives no load-failure error for every recipe SparseML loads and at least one
  error for every recipe it rejects;
* finalizing gives the same modifiers (type, epochs, sparsities, learning rates, ...) as
  SparseML's own reading in expected.json;
* every new-style (staged) recipe gets exactly one "not supported yet" diagnostic.
"""

from __future__ import annotations

import pytest

from recipe_studio.read.load import load
from tests.conformance.corpus import CORPUS, NOT_LOAD_FAILURES, classic, match_modifiers, staged

pytestmark = pytest.mark.corpus

CLASSIC = classic()
LOADS = [e for e in CLASSIC if e["loads"]]
FAILS = [e for e in CLASSIC if not e["loads"]]


def test_corpus_is_there():
    assert len(CLASSIC) == 386 and len(LOADS) == 278 and len(FAILS) == 108


@pytest.mark.parametrize("e", LOADS, ids=lambda e: e["file"].split("/", 1)[1])
def test_loadable_recipes_have_no_load_errors(e):
    recipe = load(CORPUS / e["file"])
    errors = [d for d in recipe.errors if d.code not in NOT_LOAD_FAILURES]
    assert not errors, [f"{d.short()} {d.message}" for d in errors]


@pytest.mark.parametrize("e", FAILS, ids=lambda e: e["file"].split("/", 1)[1])
def test_rejected_recipes_have_an_error(e):
    recipe = load(CORPUS / e["file"])
    assert recipe.errors, f"SparseML fails with {e['error']}"


@pytest.mark.parametrize("e", LOADS, ids=lambda e: e["file"].split("/", 1)[1])
def test_finalized_modifiers_match_sparseml(e):
    recipe = load(CORPUS / e["file"])
    assert match_modifiers(recipe.modifiers, e["modifiers"]) == []


@pytest.mark.parametrize("e", staged(), ids=lambda e: e["file"].split("/", 1)[1])
def test_new_style_recipes_get_one_clear_diagnostic(e):
    """Every stage recipe is read by the stage reader (recipe_studio.read.stage; its verdicts
    are compared with the judges in tests/stage); the one with broken YAML gets RS004."""
    recipe = load(CORPUS / e["file"])
    codes = [d.code for d in recipe.errors]
    assert recipe.stage_recipe is not None or codes == ["RS004"], \
        [d.message for d in recipe.diagnostics]
    assert "RS107" not in [d.code for d in recipe.diagnostics]


def test_variables_match_sparseml():
    """Top-level variables evaluate to what SparseML computes (`variables` in expected.json)."""
    problems = []
    for e in LOADS:
        if "variables" not in e or e.get("staged"):
            continue
        recipe = load(CORPUS / e["file"])
        for name, value in e["variables"].items():
            v = recipe.variables.get(name)
            if v is None:
                problems.append((e["file"], name, "missing"))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                if not (isinstance(v.value, (int, float)) and abs(v.value - value) <= 1e-12 *
                        max(1, abs(value))):
                    problems.append((e["file"], name, v.value, value))
    assert not problems, problems[:10]


@pytest.mark.parametrize("e", CLASSIC + staged(), ids=lambda e: e["file"])
def test_lint_runs_on_every_corpus_recipe(e):
    from recipe_studio.lint.engine import LintSettings, lint

    result = lint(CORPUS / e["file"], LintSettings(isolated=True, steps_per_epoch=7))
    assert not [d for d in result.diagnostics if d.code == "RS999"], \
        [d.message for d in result.diagnostics if d.code == "RS999"]
