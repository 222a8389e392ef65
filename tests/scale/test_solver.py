"""The scale solver on models written by hand: plain numbers, no YAML, no recipe."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_studio.transform.scale.budget import Budget
from recipe_studio.transform.scale.model import Expr, Field, Leaf, Model
from recipe_studio.transform.scale.result import ScaleError
from recipe_studio.transform.scale.solver import (
    deviations, dimensions, gauss, satisfied, set_targets, solve, unused_variables,
)


class Builder:
    """A model built by hand: variables, literals inside expressions, fields."""

    def __init__(self) -> None:
        self.model = Model()

    def variable(self, name: str, value: float) -> Expr:
        key = ("node", name)
        self.model.leaves[key] = Leaf(key, float(value), float(value).is_integer(), None,
                                      None, f"variable `{name}`", 1, var=name)
        self.model.defs[(None, name)] = Expr("leaf", key=key)
        return Expr("var", key=(None, name))

    def literal(self, value: float) -> Expr:
        key = ("expr", "e", len(self.model.leaves))
        self.model.leaves[key] = Leaf(key, float(value), isinstance(value, int), None, (0, 1),
                                      f"`{value}`", 1)
        return Expr("leaf", key=key)

    def field(self, name: str, expr: Expr, kind: str = "pos", *, integral: bool = False,
              window: tuple[float, float] = (0.0, -1.0)) -> Field:
        f = Field(None, (name,), kind, expr, 0.0, integral=integral, label=f"`{name}`",
                  window=window)
        self.model.fields.append(f)
        return f


def op(name: str, *args: Expr, key: object = None) -> Expr:
    return Expr(name, list(args), key=key)


def values(model: Model, x: dict) -> list[float | None]:
    return model.values(x, relaxed=False)


# ---- the budget -------------------------------------------------------------------------

def test_budget_maps_linearly_without_a_qat_tail():
    b = Budget(epochs=30, old=10)
    assert b.r == 3 and b.phi(4) == 12 and b.slope(4) == 3
    assert b.stretch((2.0, 6.0)) == 3 and b.stretch((2.0, -1.0)) == 3


def test_budget_keeps_the_qat_tail():
    b = Budget(epochs=15, old=10, qat=(8.0, 13.0))  # tail 2 epochs, from 8 (now 13)
    assert b.phi(4) == 6.5 and b.phi(9) == 14 and b.phi(10) == 15
    assert b.r1 == 13 / 8 and b.slope(4) == 13 / 8 and b.slope(9) == 1
    assert b.stretch((8.0, 10.0)) == 1
    assert b.stretch((0.0, 10.0)) == pytest.approx(1.5)


# ---- solving ----------------------------------------------------------------------------

def test_epoch_variable_and_literal_offset_scale_together():
    m = Builder()
    n = m.variable("num_epochs", 10)
    end = m.field("end_epoch", n)
    start = m.field("start_epoch", op("-", n, m.literal(2)))
    set_targets(m.model, Budget(20, 10))
    assert (start.target, end.target) == (16, 20)
    solution = solve(m.model, Budget(20, 10), None)
    assert values(m.model, solution.x) == [20, 16]
    assert sorted(solution.x.values()) == [4, 20]
    assert solution.detach == [] and solution.conflict == {}


def test_a_fraction_keeps_its_value_and_the_epoch_variable_moves():
    m = Builder()
    n = m.variable("num_epochs", 10)
    frac = m.variable("pruning_fraction", 0.4)
    m.field("end_epoch", n)
    m.field("pruning_end", op("*", n, frac))
    dims = dimensions(m.model)
    assert dims == {("node", "num_epochs"): 1, ("node", "pruning_fraction"): 0}
    set_targets(m.model, Budget(25, 10))
    solution = solve(m.model, Budget(25, 10), None)
    assert solution.x == {("node", "num_epochs"): 25, ("node", "pruning_fraction"): 0.4}


def test_keeping_the_qat_tail_needs_the_newton_solve():
    # pruning_end = fraction * num_epochs cannot follow a piecewise map by scaling alone
    m = Builder()
    n = m.variable("num_epochs", 10)
    frac = m.variable("pruning_fraction", 0.4)
    m.field("end_epoch", n)
    m.field("pruning_end", op("*", n, frac))
    budget = Budget(15, 10, qat=(8.0, 13.0))
    set_targets(m.model, budget)
    solution = solve(m.model, budget, None)
    assert values(m.model, solution.x) == pytest.approx([15, 6.5])
    assert all(satisfied(f, v) for f, v in zip(m.model.fields, values(m.model, solution.x)))
    assert solution.detach == []


def test_a_leaf_that_is_an_epoch_and_a_step_count_keeps_its_value():
    m = Builder()
    n = m.variable("num_epochs", 10)
    shared = m.variable("steps", 4)
    m.field("end_epoch", n)
    start = m.field("start_epoch", shared)
    kept = m.field("num_steps", shared, kind="keep")
    budget = Budget(20, 10)
    set_targets(m.model, budget)
    solution = solve(m.model, budget, None)
    assert solution.conflict == {("node", "steps"): [kept]}
    assert solution.x[("node", "steps")] == 4
    assert solution.detach == [start] and start.target == 8


def test_whole_epochs_are_rounded_with_a_note():
    m = Builder()
    n = m.variable("num_epochs", 10)
    m.field("end_epoch", n)
    acdc = m.field("acdc_end", m.variable("acdc_epochs", 5), integral=True)
    budget = Budget(13, 10)
    set_targets(m.model, budget)
    solution = solve(m.model, budget, None)
    assert solution.x[("node", "acdc_epochs")] == 7  # 6.5, half up
    assert acdc.target == 7
    assert solution.notes == ["`acdc_end` is rounded to 7 (exact 6.5): SparseML needs a "
                              "whole number of epochs here"]


def test_gamma_keeps_the_total_decay():
    m = Builder()
    m.field("end_epoch", m.variable("num_epochs", 10))
    gamma = m.field("gamma", m.variable("lr_gamma", 0.81), kind="gamma")
    set_targets(m.model, Budget(20, 10))
    assert gamma.target == pytest.approx(0.9)
    solution = solve(m.model, Budget(20, 10), None)
    assert solution.x[("node", "lr_gamma")] == pytest.approx(0.9)


def test_sentinels_are_kept():
    m = Builder()
    m.field("end_epoch", m.variable("num_epochs", 10))
    never = m.field("start_epoch", m.literal(-1))
    every_step = m.field("update_frequency", m.literal(-1), kind="dur")
    set_targets(m.model, Budget(20, 10))
    assert (never.kind, never.target, every_step.kind, every_step.target) == (
        "keep", -1, "keep", -1)


def test_round_uses_the_recipes_own_rounding():
    # `round(x)` in the recipe: the relaxed solve is exact, SparseML's value is rounded
    m = Builder()
    n = m.variable("num_epochs", 10)
    m.field("end_epoch", n)
    m.field("warmup_end", op("call", op("*", n, m.variable("warmup", 0.3)), key="round"))
    budget = Budget(15, 10)
    set_targets(m.model, budget)
    solution = solve(m.model, budget, None)
    assert solution.x[("node", "warmup")] == 0.3  # relaxed: 15 * 0.3 is on target
    assert values(m.model, solution.x) == [15, 4]  # round(4.5)
    assert deviations(m.model, solution, None) == [
        "`warmup_end` is 4 instead of 4.5: the recipe's own expression rounds it"]


def test_an_unevaluable_field_is_an_error():
    m = Builder()
    m.field("end_epoch", op("/", m.variable("num_epochs", 10), m.literal(0)))
    with pytest.raises(ScaleError, match="cannot evaluate `end_epoch`"):
        set_targets(m.model, Budget(20, 10))


def test_unused_epoch_variables_are_reported():
    m = Builder()
    m.field("end_epoch", m.variable("num_epochs", 10))
    m.variable("warmup_epochs", 3)
    m.variable("learning_rate", 0.1)
    set_targets(m.model, Budget(20, 10))  # (the fields' leaves are known from here)
    assert unused_variables(m.model) == [
        "variable `warmup_epochs` (3) is not used by any modifier and was left as is"]


def test_gauss():
    assert gauss([[2.0, 1.0], [1.0, 3.0]], [3.0, 5.0]) == pytest.approx([0.8, 1.4])
    assert gauss([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0]) is None


# ---- property: linear recipes scale exactly, and back -------------------------------------

@st.composite
def linear_models(draw) -> tuple[Builder, float]:
    """Epoch fields written as variables, variables plus literal offsets, or fractions of
    the run, over a few epoch variables; and a new budget."""
    m = Builder()
    total = draw(st.integers(2, 200))
    n = m.variable("num_epochs", total)
    m.field("end_epoch", n)
    epochs = [m.variable(f"phase{i}_epochs", draw(st.integers(1, total)))
              for i in range(draw(st.integers(0, 3)))]
    for i in range(draw(st.integers(1, 6))):
        style = draw(st.sampled_from(["variable", "offset", "fraction"]))
        base = draw(st.sampled_from([n, *epochs]))
        if style == "variable":
            expr = base
        elif style == "offset":
            expr = op("+", base, m.literal(draw(st.integers(0, 50))))
        else:
            expr = op("*", m.variable(f"frac{i}", draw(st.sampled_from([0.1, 0.25, 0.5]))),
                      base)
        m.field(f"field{i}", expr, kind=draw(st.sampled_from(["pos", "dur"])))
    return m, float(draw(st.integers(1, 500)))


@settings(max_examples=60, deadline=None)
@given(linear_models())
def test_linear_models_scale_exactly_and_back(case):
    m, epochs = case
    model = m.model
    old = values(model, model.initial())
    budget = Budget(epochs, max(v for f, v in zip(model.fields, old) if f.kind == "pos"))
    set_targets(model, budget)
    solution = solve(model, budget, None)
    assert solution.detach == [] and solution.conflict == {}
    new = values(model, solution.x)
    assert all(satisfied(f, v) for f, v in zip(model.fields, new))
    assert all(math.isclose(v, o * budget.r, rel_tol=1e-9) for v, o in zip(new, old))
    # and back: the original leaf values
    for key, value in solution.x.items():
        model.leaves[key].value = value
    back = Budget(budget.old, epochs)
    set_targets(model, back)
    again = solve(model, back, None)
    assert all(math.isclose(again.x[k], solution.x0[k], rel_tol=1e-9, abs_tol=1e-12)
               for k in again.x)
