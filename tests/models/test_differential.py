"""SparseML is the judge: `ScheduledModifierManager.from_yaml` loads a one-modifier recipe
exactly when the model validates the same arguments.

Two sources of cases:

* a grid: for every model, its minimal recipe with each field replaced by each value of a
  hand-picked and generic pool (ints vs floats, numeric strings, `1e-5` strings, negative
  values, -1 sentinels, end < start, end == start, out-of-range values, wrong enum values,
  tokens, lists, mappings, null, NaN/inf, dates), each required field removed, unknown
  fields added, and the fields-free form;
* hypothesis: random combinations of one to four fields per model, drawing from the same
  pools and from arbitrary YAML-like values.

Strings that SparseML's text-level rewrites would alter (`!name`, `eval(...)`, `---`) are
not generated: those are the loader's business, not the models'.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from recipe_studio.models import catalog

from .cases import BASES, COMMON, SPECIAL, UNKNOWN_FIELDS, candidates

pytestmark = [pytest.mark.sparseml, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

MODELS = {m.__name__: m for m in catalog.MODELS}
#: each model's grid compared once per session: name -> (cases, problems); test_grid and
#: test_summary both read it, and either computes what is missing (never relies on the other)
_GRID_RESULTS: dict[str, tuple[int, list[str]]] = {}


def model_accepts(tag: str, args: dict[str, Any]) -> tuple[bool, str]:
    """What recipe-studio's loader does: drop `log_types`, pick the model, validate."""
    args = {k: v for k, v in args.items() if k != "log_types"}
    model = catalog.model_for(tag, list(args))
    assert model is not None, tag
    try:
        model.model_validate(args)
    except ValidationError as exc:
        return False, "; ".join(e["msg"] for e in exc.errors(include_url=False))
    return True, model.__name__


def fields_of(name: str) -> list[str]:
    model = MODELS[name]
    return list(model.model_fields) + [f for f in SPECIAL.get(name, {})
                                       if f not in model.model_fields]


def grid(name: str) -> list[dict[str, Any]]:
    tag, base = BASES[name]
    out: list[dict[str, Any]] = [dict(base), {}]
    for field in fields_of(name):
        out.extend({**base, field: value} for value in candidates(name, field))
        if field in base:
            out.append({k: v for k, v in base.items() if k != field})
    out.extend({**base, field: 1} for field in UNKNOWN_FIELDS)
    out.append({**base, "log_types": "__ALL__"})
    return out


def compare(sparseml, tag: str, cases: list[dict[str, Any]]) -> list[str]:
    problems = []
    for args in cases:
        expected, why = sparseml.load(tag, args)
        got, how = model_accepts(tag, args)
        if expected != got:
            problems.append(f"{tag} {args!r}\n  sparseml: {expected} ({why[:200]})\n"
                            f"  model:    {got} ({how[:200]})")
    return problems


def grid_result(sparseml, name: str) -> tuple[int, list[str]]:
    """(number of cases, disagreements) of one model's grid, computed once per session."""
    if name not in _GRID_RESULTS:
        cases = grid(name)
        _GRID_RESULTS[name] = (len(cases), compare(sparseml, BASES[name][0], cases))
    return _GRID_RESULTS[name]


@pytest.mark.parametrize("name", list(BASES))
def test_grid(name, sparseml):
    n, problems = grid_result(sparseml, name)
    assert n > 0
    assert not problems, "\n".join(problems[:20])


_SAFE = string.ascii_letters + string.digits + " ._:"
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(_SAFE, max_size=8),
    st.sampled_from(COMMON))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(_SAFE, max_size=5), st.integers(),
                                  st.floats(allow_nan=False)), inner, max_size=3)),
    max_leaves=6)


@st.composite
def _recipe(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(BASES)))
    tag, base = BASES[name]
    args = dict(base)
    for field in draw(st.lists(st.sampled_from(fields_of(name)), min_size=1, max_size=4,
                               unique=True)):
        if field in args and draw(st.integers(0, 9)) == 0:
            del args[field]
        else:
            args[field] = draw(st.one_of(st.sampled_from(candidates(name, field)), _values))
    return tag, args


@settings(max_examples=4000, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(_recipe())
def test_random_combinations(sparseml, recipe):
    tag, args = recipe
    problems = compare(sparseml, tag, [args])
    assert not problems, problems[0]


def test_summary(sparseml, capsys):
    """The figures of the whole grid (every model; pytest -s shows them). Run alone it
    compares the grid itself; after test_grid it reuses that session's results."""
    results = [grid_result(sparseml, name) for name in BASES]
    cases = sum(n for n, _ in results)
    problems = [p for _, ps in results for p in ps]
    with capsys.disabled():
        print(f"\ndifferential: {len(BASES)} models, {cases} grid cases, "
              f"{cases - len(problems)} agreements")
    assert set(BASES) == set(MODELS) and cases == sum(len(grid(name)) for name in BASES)
    assert cases > 0
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:20])
