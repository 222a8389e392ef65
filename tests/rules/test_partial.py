"""Lint is `validate` plus rules: load errors always stay, and the rules still see the
valid fields of a modifier that failed to load (its partial view)."""

from __future__ import annotations

import random
import re

import pytest

from recipe_studio.read import codes
from recipe_studio.lint.config import parse_config
from recipe_studio.lint.engine import LintSettings, lint_recipe
from recipe_studio.read.load import load
from recipe_studio.read.partial import UnknownFieldValue, is_partial
from recipe_studio.read.source import from_text
from tests.conformance.corpus import CORPUS, classic
from tests.rules.test_cases import CASES

# the issue's example: a misspelt field and an end after the end of training
ISSUE = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 30.0
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsty: 0.85
    start_epoch: 0.0
    end_epoch: 40.0
    update_frequency: 1.0
"""


def shorts(diags) -> list[str]:
    return [d.short() for d in diags]


def test_rules_run_on_the_valid_fields_of_a_modifier_that_failed():
    recipe = load(ISSUE)
    assert shorts(recipe.diagnostics) == ["8:5 RS102"]
    entry = recipe.modifiers[1]
    assert entry.spec is None and is_partial(entry.partial) and entry.view is entry.partial
    assert entry.view.end_epoch == 40.0 and entry.view.params == "__ALL_PRUNABLE__"
    assert entry.view.leave_enabled is True  # not written: SparseML's default
    assert shorts(lint_recipe(recipe, LintSettings(isolated=True))) == \
        ["8:5 RS102", "10:16 RS401"]
    # the load error stays whatever is selected
    assert shorts(lint_recipe(recipe, LintSettings(isolated=True, select=["RS401"]))) == \
        ["8:5 RS102", "10:16 RS401"]


def test_a_partial_view_never_makes_up_a_value():
    view = load(ISSUE).modifiers[1].view
    # the misspelt required field is unknown: reading it raises, even with a default
    with pytest.raises(UnknownFieldValue):
        _ = view.final_sparsity
    with pytest.raises(UnknownFieldValue):
        getattr(view, "final_sparsity", 0.5)
    assert "final_sparsity" not in view.model_fields_set
    assert getattr(view, "not_a_field", "x") == "x"  # an attribute of no field: as usual


def test_a_value_that_failed_is_unknown_and_the_rule_skips_only_that_modifier():
    text = ISSUE.replace("final_sparsty: 0.85", "final_sparsity: high") + """\
  - !GMPruningModifier
    params: ['re:.*conv.*']
    init_sparsity: 0.9
    final_sparsity: 0.5
    start_epoch: 0.0
    end_epoch: 20.0
    update_frequency: 1.0
"""
    recipe = load(text)
    assert [d.code for d in recipe.errors] == ["RS201"]
    with pytest.raises(UnknownFieldValue):
        _ = recipe.modifiers[1].view.final_sparsity
    found = lint_recipe(recipe, LintSettings(isolated=True))
    # RS504 (sparsity decreases) needs final_sparsity: the broken pruner is skipped, the
    # valid one still gets it; RS401 reads only the epochs and fires on the broken one
    assert {"RS201", "RS401", "RS504"} <= {d.code for d in found}
    assert [d.span.line for d in found if d.code == "RS504"] == [14]  # the valid one
    assert not [d for d in found if d.code == codes.INTERNAL.code]


def test_model_level_checks_mark_the_field_they_name():
    # an impossible schedule *and* an unknown lr_func: the end is not trusted either
    recipe = load("""\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 3.0
  - !LearningRateFunctionModifier
    start_epoch: 10.0
    end_epoch: 5.0
    lr_func: cosin
    init_lr: 0.01
    final_lr: 0.001
""")
    view = recipe.modifiers[1].view
    assert view.start_epoch == 10.0 and view.init_lr == 0.01
    with pytest.raises(UnknownFieldValue):
        _ = view.end_epoch
    with pytest.raises(UnknownFieldValue):
        _ = view.lr_func
    found = lint_recipe(recipe, LintSettings(isolated=True))
    # RS401 reads `end_epoch` (unknown): that modifier is left out, nothing is made up
    assert {d.code for d in found} == {"RS203", "RS204"}
    assert not [d for d in found if d.code == codes.INTERNAL.code]


# -- load errors can never be hidden ------------------------------------------------------

HIDERS = {
    "select": LintSettings(isolated=True, select=["RS4"]),
    "ignore-all": LintSettings(isolated=True, ignore=["ALL"]),
    "config": LintSettings(config=parse_config(
        {"ignore": ["ALL"], "severity": {"ALL": "info"}}, where="test")),
}
SUPPRESS_ALL = "# recipe-studio: disable-file=ALL\n"


def assert_load_errors_kept(text: str, path: str = "recipe.yaml") -> int:
    """Every load error of `text` survives every way of hiding it; returns their count."""
    recipe = load(from_text(text, path=path))
    errors = [(d.code, d.message) for d in recipe.diagnostics if codes.is_load_error(d)]
    assert errors == [(d.code, d.message) for d in recipe.errors]  # the one definition
    for name, settings in HIDERS.items():
        found = lint_recipe(recipe, settings)
        kept = [(d.code, d.message) for d in found if codes.is_load_error(d)]
        assert kept == errors, name
        assert not [d for d in found if d.code == codes.INTERNAL.code], (name, found)
    if recipe.source is not None and recipe.source.form != "md" and errors:
        commented = load(from_text(SUPPRESS_ALL + text, path=path))
        found = lint_recipe(commented, LintSettings(isolated=True))
        kept = {(d.code, d.message) for d in found if codes.is_load_error(d)}
        assert {(d.code, d.message) for d in commented.errors} == kept
        assert any(d.code == "RS902" and "cannot be suppressed" in d.message for d in found)
    return len(errors)


@pytest.mark.parametrize("case", [c for c in CASES if "recipe" in c.data], ids=lambda c: c.id)
def test_rule_cases_with_every_rule_and_every_hider(case):
    text = case.data["recipe"]
    recipe = load(from_text(text, path="recipe.yaml"))
    found = lint_recipe(recipe, LintSettings(isolated=True, steps_per_epoch=7))
    assert not [d for d in found if d.code == codes.INTERNAL.code], found
    assert_load_errors_kept(text)


# -- corpus-derived broken inputs ---------------------------------------------------------

FIELD = re.compile(r"^(\s+)([a-z_]+):([ \t]+)(\S[^#\n]*?)(\s*(?:#.*)?)$")
MUTATIONS = {
    "misspell-key": lambda m: f"{m[1]}{m[2][:-1] + m[2][-1] * 2}:{m[3]}{m[4]}{m[5]}",
    "string-value": lambda m: f"{m[1]}{m[2]}:{m[3]}'oops'{m[5]}",
    "negative": lambda m: f"{m[1]}{m[2]}:{m[3]}-7.5{m[5]}",
    "undefined-var": lambda m: f"{m[1]}{m[2]}:{m[3]}eval(nope_var){m[5]}",
    "drop": lambda m: "",
    "int": lambda m: f"{m[1]}{m[2]}:{m[3]}3{m[5]}",
}


def corpus_mutants(every: int = 1):
    rng = random.Random(9)
    for i, e in enumerate(classic()):
        if i % every:
            continue
        path = CORPUS / e["file"]
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        spots = [n for n, line in enumerate(lines) if FIELD.match(line)]
        if not spots:
            continue
        for name, mutate in MUTATIONS.items():
            n = rng.choice(spots)
            out = list(lines)
            out[n] = mutate(FIELD.match(lines[n]))
            yield f"{e['file']}:{n + 1}:{name}", "\n".join(out), path.suffix


@pytest.mark.parametrize("every", [
    pytest.param(10, id="every-10th-recipe"),
    pytest.param(1, id="every-recipe", marks=pytest.mark.slow),
])
def test_no_rule_crashes_on_broken_corpus_recipes(every, capsys):
    """Six seeded single-field mutations of the classic corpus recipes: no rule fails
    (RS999), every load error survives every way of hiding it, and the rules do see
    modifiers that failed to load (measured with every recipe: 2,316 mutants, 1,899 with
    load errors, 1,526 partial views, 392 rule diagnostics inside modifiers that failed)."""
    mutants = broken = partial_views = from_partial = 0
    for ident, text, suffix in corpus_mutants(every):
        mutants += 1
        recipe = load(from_text(text, path=f"recipe{suffix}"))
        views = {m.index for m in recipe.modifiers if m.spec is None and m.partial is not None}
        partial_views += len(views)
        found = lint_recipe(recipe, LintSettings(isolated=True, steps_per_epoch=13))
        assert not [d for d in found if d.code == codes.INTERNAL.code], (ident, found)
        spans = [recipe.modifiers[i].span for i in views]
        from_partial += sum(1 for d in found if d.code not in codes.BY_CODE and any(
            s.line <= d.span.line <= s.end_line for s in spans))
        broken += assert_load_errors_kept(text, f"recipe{suffix}") > 0
    with capsys.disabled():
        print(f"\n{mutants} corpus mutants, {broken} with load errors, {partial_views} "
              f"partial views, {from_partial} rule diagnostics inside modifiers that failed")
    assert mutants > 2000 // every and broken > 1000 // every and from_partial > 100 // every


def test_a_warning_raised_to_error_by_configuration_is_not_a_load_error():
    recipe = load(from_text(ISSUE.replace("final_sparsty", "final_sparsity"), path="r.yml"))
    assert [d.code for d in recipe.diagnostics] == ["RS007"] and recipe.ok
    cfg = parse_config({"severity": {"RS007": "error"}}, where="test")
    (d,) = lint_recipe(recipe, LintSettings(config=cfg, select=["RS007"]))
    assert d.severity.value == "error" and not codes.is_load_error(d)
    # and the other way round, a load error keeps its severity
    cfg = parse_config({"severity": {"ALL": "info"}}, where="test")
    found = lint_recipe(load(ISSUE), LintSettings(config=cfg))
    assert [(d.code, d.severity.value) for d in found] == [("RS102", "error"), ("RS401", "info")]
