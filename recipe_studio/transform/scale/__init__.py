"""Rescale a recipe to a new epoch budget, changing each value once, where it is written.

`recipe-studio scale PATH --epochs N` multiplies every epoch-valued field by
`r = N / B`, where `B` is the largest start or end epoch of the recipe (what SparseML
rounds up into `max_epochs`), so the scaled recipe loads with `max_epochs == N`.

What is an epoch comes from the modifier models (`epoch_fields()`, sparseml-recipes.md
§5.9): positions (`start_epoch`, `end_epoch`, `freeze_bn_stats_epoch`,
`disable_quantization_observer_epoch`, `update_epochs[*]`, MultiStepLR `milestones[*]`)
are mapped, durations (`update_frequency`, `cycle_epochs`, StepLR `step_size`,
CosineAnnealingWarmRestarts `cycle_epochs`) are stretched, ExponentialLR's per-epoch
`gamma` becomes `gamma ** (1 / stretch)` so the total decay is kept. `-1` sentinels,
`update_frequency <= 0` ("every step") and fields SparseML ignores are left alone; ACDC
epochs and CosineAnnealingWarmRestarts `cycle_epochs` stay whole numbers.
`--keep-quantization` keeps the QAT tail (from the first QuantizationModifier start to
the end) at its length and fits everything before it into the rest of the budget.

**Variables.** Every number that reaches a modifier field is a *leaf*: a literal field
value, an anchored value (one leaf however many aliases use it), a numeric variable, or a
number literal inside an `eval(...)` expression. Each numeric field is a function of its
leaves, and scaling means choosing new leaf values so that every epoch field hits its
target and every other field keeps its value:

1. a dimension analysis over the expressions tells which leaves are epochs (dimension 1,
   scaled by r), which are not (0: fractions, learning rates, sparsities) and which are
   ratios of epochs; for `eval(num_epochs - qat_epochs + 2)` it scales the two variables
   and the `2`, for `eval(pruning_start_target * num_epochs)` only `num_epochs`;
2. that guess is exact for the usual linear recipes; when it is not (`--keep-quantization`
   with fractions of `num_epochs`, expressions mixing roles), a small Gauss-Newton solve
   with minimal weighted change fixes the free leaves, preferring variables over literals
   inside expressions and epochs over fractions;
3. a leaf used as-is both as an epoch and as something else (a variable that is a start
   epoch *and* a step count) is a conflict: it keeps its value, and the epoch fields that
   used it get a literal value of their own — each such change is reported;
4. the result is evaluated again with SparseML's semantics (`round()`, `int()`, `//`
   included) and reloaded; any field that differs from its target is reported (a recipe
   that rounds its own epochs keeps doing so).

**Editing.** Changes are position-exact text edits at the offsets of the positioned YAML
tree (only the characters of a changed number, or of an `eval(...)` string, are
replaced), not a ruamel.yaml round trip: a round trip re-emits the whole document, and
with ruamel 0.18/0.19 that loses unused anchors, re-spaces comments, rewrites `True` as
`true` and can misplace tags, while the guarantees here are "every byte that is not a
changed number stays" and "scaling to the same budget is byte-identical". Markdown prose
around a recipe card is outside the YAML part and is never touched.

**Modules.** `budget` (where each epoch goes), `model` (leaves, expressions and fields,
built from the loaded recipe), `solver` (pure functions from the model and the budget to
new leaf values: steps 1-4 above), `writer` (the solution as text edits), `result` (what
is returned or raised); this module reads the recipe once and runs them in that order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from recipe_studio.read.recipe import Recipe
from recipe_studio.read.source import Source
from recipe_studio.read.variables import Override
from recipe_studio.read.yamltree import YMap
from recipe_studio.transform.scale.result import Change, ScaleError, ScaleResult

if TYPE_CHECKING:
    from recipe_studio.transform.scale.budget import Budget
    from recipe_studio.transform.scale.writer import Written

__all__ = ["Change", "ScaleError", "ScaleResult", "scale_file", "scale_recipe_text",
           "scale_source", "scale_text", "write_result"]

#: codes SparseML itself does not fail on (a duplicate key keeps its last value)
_TOLERATED_ERRORS = {"RS005"}


def scale_recipe_text(text: str, epochs: float, *, path: str | None = None,
                      keep_quantization: bool = False,
                      round_decimals: int | None = None) -> str:
    """The recipe `text` rescaled to `epochs` epochs (see the module docstring).

    Raises :class:`ScaleError` (with diagnostics) for a recipe that does not load or
    cannot be scaled.
    """
    return scale_text(text, epochs, path=path, keep_quantization=keep_quantization,
                      round_decimals=round_decimals).text


def scale_text(text: str, epochs: float, *, path: str | None = None,
               keep_quantization: bool = False, round_decimals: int | None = None,
               overrides: Iterable[Override] | Mapping[str, Any] = ()) -> ScaleResult:
    """Scale a recipe given as text; the result carries the new text and a change list."""
    from recipe_studio.read.source import SourceError, from_text

    try:
        source = from_text(text, path=path, form=None if path else "text")
    except SourceError as e:
        raise _unreadable(e) from None
    return scale_source(source, epochs, keep_quantization=keep_quantization,
                        round_decimals=round_decimals, overrides=overrides)


def scale_file(path: str, epochs: float, *, keep_quantization: bool = False,
               round_decimals: int | None = None,
               overrides: Iterable[Override] | Mapping[str, Any] = ()) -> ScaleResult:
    """Scale the recipe file at `path` (nothing is written; see :func:`write_result`)."""
    from recipe_studio.read.source import SourceError, read_source

    try:
        source = read_source(path)
    except SourceError as e:
        raise _unreadable(e) from None
    return scale_source(source, epochs, keep_quantization=keep_quantization,
                        round_decimals=round_decimals, overrides=overrides)


def scale_source(source: Source, epochs: float, *, keep_quantization: bool = False,
                 round_decimals: int | None = None,
                 overrides: Iterable[Override] | Mapping[str, Any] = ()) -> ScaleResult:
    """Scale a recipe read once (a file or text): the result's text is `source.original`
    with the edits applied, so its line endings and BOM are the file's own."""
    from recipe_studio.read.load import load

    recipe = load(source, overrides=overrides)
    return _scale(recipe, float(epochs), keep_quantization, round_decimals)


def write_result(result: ScaleResult, path: str, *, force: bool = False) -> None:
    """Write the scaled text atomically, byte for byte (its newlines and BOM are already
    the file's own); see :func:`recipe_studio.io.atomic_write_bytes` for links, modes and
    what `force` allows."""
    from recipe_studio.io import atomic_write_bytes

    atomic_write_bytes(path, result.text.encode("utf-8"), force=force)


def _unreadable(e: Any) -> ScaleError:
    """The ScaleError for a SourceError: a recipe that could not be read."""
    return ScaleError(e.diagnostic.message, [e.diagnostic],
                      recipe=Recipe(source=None, diagnostics=[e.diagnostic]))


def _scale(recipe: Recipe, epochs: float, keep_quantization: bool,
           round_decimals: int | None) -> ScaleResult:
    try:
        return _run(recipe, epochs, keep_quantization, round_decimals)
    except ScaleError as e:
        if e.recipe is None:
            e.recipe = recipe
        raise


def _run(recipe: Recipe, epochs: float, keep_quantization: bool,
         round_decimals: int | None) -> ScaleResult:
    from recipe_studio.transform.scale.budget import budget_of
    from recipe_studio.transform.scale.model import build_model
    from recipe_studio.transform.scale.solver import (
        deviations, set_targets, solve, unused_variables,
    )
    from recipe_studio.transform.scale.writer import write_edits

    root = _check(recipe, epochs, round_decimals)
    source = recipe.source
    assert source is not None
    budget, old_max = budget_of(recipe, epochs, keep_quantization)
    model = build_model(recipe, root)
    set_targets(model, budget)
    solution = solve(model, budget, round_decimals)
    written = write_edits(model, solution, source, budget, round_decimals)
    notes = solution.notes + written.notes
    notes += deviations(model, solution, round_decimals)
    notes += unused_variables(model)
    return _result(recipe, source, budget, old_max, written, notes)


def _check(recipe: Recipe, epochs: float, round_decimals: int | None) -> YMap:
    """The recipe's document mapping; raises :class:`ScaleError` for a recipe (or options)
    that cannot be scaled."""
    errors = [d for d in recipe.errors if d.code not in _TOLERATED_ERRORS]
    if recipe.source is None or errors:
        first = errors[0].message if errors else "the recipe cannot be read"
        raise ScaleError(f"the recipe has errors; fix them before scaling ({first})",
                         errors or recipe.diagnostics)
    if not (epochs > 0 and math.isfinite(epochs)):
        raise ScaleError(f"--epochs must be a positive number, got {epochs:g}")
    if round_decimals is not None and not 0 <= round_decimals <= 12:
        raise ScaleError(f"--round must be between 0 and 12 decimals, got {round_decimals}")
    root = recipe.doc.root if recipe.doc else None
    if not isinstance(root, YMap) or root.custom_tag is not None:
        raise ScaleError("only recipes whose document is a mapping of variables and "
                         "modifier lists can be scaled")
    return root


def _result(recipe: Recipe, source: Source, budget: Budget, old_max: int, written: Written,
            notes: list[str]) -> ScaleResult:
    """The result: the edits applied to the file's own text, checked by reloading."""
    from recipe_studio.diagnostics import EditConflict, apply_edits
    from recipe_studio.schedule.timeline import timeline
    from recipe_studio.transform.edit import edit_original

    changes = written.changes
    try:
        new_text = apply_edits(source.text, written.edits) if written.edits else source.text
        out = edit_original(source, written.edits) if written.edits else source.original
    except EditConflict as e:
        raise ScaleError(f"conflicting edits while scaling: {e}") from None
    if written.edits:
        check = _reload(new_text, source, recipe, written.overrides)
        before = {d.code for d in recipe.errors}
        new_errors = [d for d in check.errors if d.code not in before]
        if new_errors:
            raise ScaleError("scaling produced an invalid recipe (please report this): "
                             + new_errors[0].message, new_errors)
        new_max = timeline(check).max_epochs
    else:
        new_max = old_max
    changes.sort(key=lambda c: c.line)
    return ScaleResult(
        text=out, old_epochs=budget.old,
        new_epochs=budget.epochs if written.edits else budget.old,
        old_max_epochs=old_max, new_max_epochs=new_max,
        ratio=budget.r1 if budget.qat else budget.r, changes=changes,
        notes=list(dict.fromkeys(notes)), overrides=written.overrides,
        qat_start=budget.qat, before=source.text, after=new_text)


def _reload(text: str, source: Source, recipe: Recipe, overrides: Mapping[str, float]
            ) -> Recipe:
    from recipe_studio.read.load import load
    from recipe_studio.read.source import from_text

    merged = {**recipe.overrides, **overrides}
    src = from_text(text, path=source.path, form=source.form)
    return load(src, overrides=merged)
