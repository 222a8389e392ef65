"""The pydantic-error translator alone: real `ValidationError`s of the modifier models in,
diagnostics out (`recipe_studio.read.pydantic_errors`)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from recipe_studio.diagnostics import Fix, sort_diagnostics
from recipe_studio.models import catalog
from recipe_studio.read import codes, pydantic_errors
from recipe_studio.read.load import load

GMP = """modifiers:
  - !GMPruningModifier
    init_sparsity: 0.05
{fields}    start_epoch: {start}
    end_epoch: {end}
    update_frequency: {freq}
    params: __ALL_PRUNABLE__
"""


def _gmp(fields: str = "    final_sparsity: 0.9\n", *, start: str = "0.0", end: str = "10.0",
         freq: str = "1.0") -> str:
    return GMP.format(fields=fields, start=start, end=end, freq=freq)


class Renames:
    """A stand-in for the loader's `rename_fix` that records what it is asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str, str, dict]] = []

    def __call__(self, start: int, end: int, old: str, new: str, **kw) -> Fix:
        self.calls.append((start, end, old, new, kw))
        return Fix(f"rename `{old}` to `{new}`", ())


def _error(text: str, index: int = 0):
    """(recipe, entry, model, the ValidationError the model raises on the entry's args)."""
    recipe = load(text)
    entry = recipe.modifiers[index]
    model = catalog.model_for(entry.type, [k for k in entry.args if isinstance(k, str)])
    assert model is not None
    with pytest.raises(ValidationError) as info:
        model.model_validate(entry.args)
    return recipe, entry, model, info.value


def _translate(text: str, index: int = 0, **kw):
    recipe, entry, model, exc = _error(text, index)
    return pydantic_errors.validation_diagnostics(entry, model, exc, source=recipe.source, **kw)


def test_a_misspelt_required_field_is_one_unknown_field_with_a_safe_rename():
    renames = Renames()
    text = _gmp("    final_sparsty: 0.9\n")
    diags = _translate(text, rename_fix=renames)
    assert [d.code for d in diags] == [codes.UNKNOWN_FIELD.code]  # not also "missing"
    (d,) = diags
    assert d.message == "unknown field `final_sparsty` for `!GMPruningModifier`"
    assert d.help == "did you mean `final_sparsity`?"
    assert (d.span.line, d.span.column, d.span.end_column) == (4, 5, 18)
    (start, end, old, new, kw) = renames.calls[0]
    assert text[start:end] == old == "final_sparsty" and new == "final_sparsity"
    # the only way the modifier loads: safe to apply
    assert kw == {"safe": True, "what": "field"}
    assert d.fix is not None


def test_without_a_rename_fix_the_diagnostics_carry_no_rename():
    diags = _translate(_gmp("    final_sparsty: 0.9\n"))
    assert [d.fix for d in diags] == [None]


def test_a_missing_field_is_reported_on_the_tag_with_its_description():
    recipe, entry, model, exc = _error(_gmp(""))
    (d,) = pydantic_errors.validation_diagnostics(entry, model, exc, source=recipe.source)
    assert d.code == codes.MISSING_FIELD.code
    assert d.message == "`!GMPruningModifier` is missing the required field `final_sparsity`"
    assert d.span == entry.tag_span
    assert d.help is not None and d.help.startswith("add `final_sparsity:`")
    assert d.path == recipe.source.path


def test_a_value_error_is_placed_on_the_value_in_our_words():
    (d,) = _translate(_gmp(freq="abc"))
    assert d.code == codes.INVALID_TYPE.code
    assert d.message == ("`!GMPruningModifier`: `update_frequency` must be a number, got a "
                         "string 'abc'")
    assert (d.span.line, d.span.column, d.span.end_column) == (7, 23, 26)


def test_fields_that_already_failed_are_not_reported_again():
    assert _translate(_gmp(freq="abc"), failed={("update_frequency",)}) == []


def test_a_misspelt_choice_gets_a_did_you_mean_and_a_value_rename():
    text = """modifiers:
  - !LearningRateModifier
    lr_class: StepLr
    lr_kwargs: {step_size: 1, gamma: 0.5}
    init_lr: 0.1
    start_epoch: 0
"""
    renames = Renames()
    (d,) = _translate(text, rename_fix=renames)
    assert d.code == codes.INVALID_CHOICE.code
    assert d.help == "did you mean `StepLR`?"
    (start, end, old, new, kw) = renames.calls[0]
    assert text[start:end] == old == "StepLr" and new == "StepLR"
    assert kw == {"what": "value"}


def test_global_sparsity_on_the_always_global_modifier_deletes_the_line():
    text = """modifiers:
  - !GlobalMagnitudePruningModifier
    init_sparsity: 0.05
    final_sparsity: 0.9
    start_epoch: 0
    end_epoch: 1
    update_frequency: 1
    params: __ALL_PRUNABLE__
    global_sparsity: true
"""
    (d,) = _translate(text)
    assert d.code == codes.UNKNOWN_FIELD.code
    assert d.help == "delete the line"
    assert d.fix is not None and d.fix.safe
    (edit,) = d.fix.edits
    assert text[edit.start:edit.end] == "    global_sparsity: true\n"


def test_the_translator_says_what_the_loader_says():
    """The loader reports exactly the translator's diagnostics for a modifier."""
    text = _gmp("    final_sparsty: 0.9\n", freq="abc")
    recipe, entry, model, exc = _error(text)
    alone = pydantic_errors.validation_diagnostics(entry, model, exc, source=recipe.source)
    loaded = [d for d in recipe.diagnostics if d.code != codes.INVALID_SCHEDULE.code]
    assert [(d.code, d.span, d.message, d.help) for d in sort_diagnostics(alone)] == \
        [(d.code, d.span, d.message, d.help) for d in loaded]


def test_an_impossible_schedule_is_reported_beside_other_errors():
    recipe, entry, model, exc = _error(_gmp(start="2.0", end="1.0", freq="abc"))
    d = pydantic_errors.schedule_diagnostic(entry, model, entry.args, exc, source=recipe.source)
    assert d is not None and d.code == codes.INVALID_SCHEDULE.code
    assert d.span == entry.value_span("end_epoch")
    assert "`end_epoch` 1 is before `start_epoch` 2" in d.message
    # not when an epoch itself failed, nor when the schedule is fine
    assert pydantic_errors.schedule_diagnostic(entry, model, entry.args, exc,
                                               source=recipe.source,
                                               failed={("start_epoch",)}) is None
    recipe, entry, model, exc = _error(_gmp(freq="abc"))
    assert pydantic_errors.schedule_diagnostic(entry, model, entry.args, exc,
                                               source=recipe.source) is None


def test_pydantic_builtin_error_types_are_worded_without_pydantic_text():
    with pytest.raises(ValidationError) as info:
        TypeAdapter(float).validate_python("x")
    (err,) = info.value.errors(include_url=False)
    assert pydantic_errors._translate(err["type"], err, ("lr_kwargs", "gamma")) == \
        "`lr_kwargs.gamma` must be a number, got a string 'x'"


def test_union_and_function_labels_are_dropped_from_locations():
    loc = ("lr_kwargs", "function-after[check(), dict[str,any]]", "milestones", "list[int]", 1)
    assert pydantic_errors._clean_loc(loc) == ("lr_kwargs", "milestones", 1)
