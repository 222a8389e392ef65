"""The solver: new leaf values that put every epoch field on its target.

Pure functions over a :class:`~recipe_studio.transform.scale.model.Model` and a
:class:`~recipe_studio.transform.scale.budget.Budget` (plain numbers; no YAML):

1. :func:`set_targets`: each field's old value and target (an epoch position goes where the
   budget maps it, a duration is stretched, ExponentialLR's `gamma` becomes
   `gamma ** (1 / stretch)`, everything else keeps its value);
2. :func:`dimensions`: which leaves are epochs (1, scaled by r), which are not (0:
   fractions, learning rates, sparsities) and which are ratios of epochs; the first guess
   scales the epoch leaves by r, which is exact for the usual linear recipes;
3. :func:`solve`: where the guess is not exact, a small Gauss-Newton solve (:func:`newton`)
   with minimal weighted change fixes the free leaves, preferring variables over literals
   inside expressions and epochs over fractions; a leaf used as-is both as an epoch and as
   something else keeps its value and the epoch fields using it are *detached* (they get a
   literal value of their own); :func:`make_whole` rounds what SparseML needs whole;
4. :func:`deviations`: what still differs from its target, evaluated with SparseML's
   semantics (`round()`, `int()`, `//`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.transform.edit import clean_float
from recipe_studio.transform.scale.budget import Budget
from recipe_studio.transform.scale.model import EPOCHISH, Field, Model
from recipe_studio.transform.scale.result import ScaleError

#: relative tolerance for "this field has its target value"
TOL = 1e-9


@dataclass
class Solution:
    #: the leaf values as written and as solved
    x0: dict[Any, float]
    x: dict[Any, float]
    #: fields that get a literal value of their own (their expression cannot follow)
    detach: list[Field]
    #: leaves used as an epoch and by fields that must keep their value -> those fields
    conflict: dict[Any, list[Field]]
    #: id(field) -> why a detached field was detached (when not a conflict)
    reasons: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def satisfied(f: Field, v: float | None) -> bool:
    if v is None:
        return False
    return abs(v - f.target) <= TOL * max(1.0, abs(f.target))


# ---- targets ----------------------------------------------------------------------------

def set_targets(model: Model, budget: Budget) -> None:
    """Each field's old value, leaves and target. Raises :class:`ScaleError` for a field
    that cannot be evaluated."""
    old = model.values(model.initial(), relaxed=False)
    for f, v in zip(model.fields, old):
        if v is None:
            raise ScaleError(f"cannot evaluate {f.label}")
        f.old = v
        f.deps = frozenset(model.deps(f.expr))
        if f.kind == "pos":
            if v < 0:  # -1 sentinel (and never-starting values in (-1, 0))
                f.kind, f.target, f.dim = "keep", v, 0
            else:
                f.target, f.dim = budget.phi(v), 1
        elif f.kind == "dur":
            if v <= 0:  # update_frequency -1/0: every step
                f.kind, f.target, f.dim = "keep", v, 0
            else:
                f.target, f.dim = v * budget.stretch(f.window), 1
        elif f.kind == "gamma":
            s = budget.stretch(f.window)
            f.target = v ** (1.0 / s) if v > 0 else v
            f.dim = None
        else:
            f.target, f.dim = v, 0


# ---- dimensions -------------------------------------------------------------------------

_Equation = tuple[dict[Any, int], int]


def dimensions(model: Model) -> dict[Any, int]:
    """Which leaves are epochs (1), plain numbers (0), or ratios of epochs."""
    eqs: list[_Equation] = []
    visited: set[int] = set()
    for f in model.fields:
        _equations(model, f.expr, eqs, visited)
    # the field constraints come first: they anchor everything else
    field_eqs = [({_dim_var(f.expr): 1}, f.dim) for f in model.fields
                 if f.dim is not None and f.old != 0]
    known = _propagate(field_eqs + eqs, lambda unknown: guess(model, unknown))
    return {k[1]: v for k, v in known.items() if k[0] == "L"}


def _dim_var(e: Any) -> Any:
    """The unknown standing for the dimension of an expression node."""
    if e.op == "leaf":
        return ("L", e.key)
    if e.op == "var":
        return ("V", e.key)
    return ("E", id(e))


def _equations(model: Model, e: Any, eqs: list[_Equation], visited: set[int]) -> None:
    """The dimension equations of an expression: one table of rules, one per operator."""
    if id(e) in visited:
        return
    visited.add(id(e))
    me = _dim_var(e)
    dv = _dim_var
    for a in [*e.args, *e.kwargs.values()]:
        _equations(model, a, eqs, visited)
    if e.op == "var":
        d = model.defs.get(e.key)
        if d is not None:
            _equations(model, d, eqs, visited)
            eqs.append(({me: 1, dv(d): -1}, 0) if dv(d) != me else ({}, 0))
    elif e.op in ("+", "-", "%"):
        for a in e.args:
            eqs.append(({me: 1, dv(a): -1}, 0))
    elif e.op in ("neg", "pos"):
        eqs.append(({me: 1, dv(e.args[0]): -1}, 0))
    elif e.op == "*":
        a, b = dv(e.args[0]), dv(e.args[1])
        eqs.append(({me: 1, a: -1, b: -1} if a != b else {me: 1, a: -2}, 0))
    elif e.op in ("/", "//"):
        a, b = dv(e.args[0]), dv(e.args[1])
        eqs.append(({me: 1, a: -1, b: 1} if a != b else {me: 1}, 0))
    elif e.op == "**":
        for a in e.args:
            eqs.append(({dv(a): 1}, 0))
        eqs.append(({me: 1}, 0))
    elif e.op == "call":
        if e.key in ("min", "max"):
            for a in e.args:
                eqs.append(({me: 1, dv(a): -1}, 0))
        elif e.args:
            eqs.append(({me: 1, dv(e.args[0]): -1}, 0))
            for a in e.args[1:]:
                eqs.append(({dv(a): 1}, 0))
        for a in e.kwargs.values():
            eqs.append(({dv(a): 1}, 0))


def _propagate(eqs: list[_Equation], guesser: Any) -> dict[Any, int]:
    """Solve integer equations by propagation; when stuck, `guesser(unknowns)` picks an
    unknown and its value, and propagation goes on. Inconsistent equations are skipped."""
    known: dict[Any, int] = {}
    pending = list(eqs)
    while pending:
        pending = _propagate_known(pending, known)
        if not pending:
            break
        # stuck: guess the least committal unknown, then propagate again
        unknown = [k for coeffs, _ in pending for k, c in coeffs.items()
                   if c != 0 and k not in known]
        if not unknown:
            break
        known[guesser(unknown)[0]] = guesser(unknown)[1]
    return known


def _propagate_known(pending: list[_Equation], known: dict[Any, int]) -> list[_Equation]:
    """Settle every equation with one unknown left, until none is; the rest is returned."""
    progress = True
    while progress:
        progress = False
        rest = []
        for coeffs, rhs in pending:
            unknown = [k for k, c in coeffs.items() if c != 0 and k not in known]
            if len(unknown) == 0:
                continue  # settled (or inconsistent: a conflict, resolved by the solve)
            if len(unknown) == 1:
                k = unknown[0]
                total = rhs - sum(c * known[j] for j, c in coeffs.items() if j != k)
                c = coeffs[k]
                if total % c == 0:
                    known[k] = total // c
                    progress = True
                    continue
            rest.append((coeffs, rhs))
        pending = rest
    return pending


def guess(model: Model, unknown: list[Any]) -> tuple[Any, int]:
    for k in unknown:  # a literal inside an expression: a plain number
        if k[0] == "L" and k[1][0] == "expr":
            return k, 0
    for k in unknown:
        if k[0] == "L" and model.leaves[k[1]].var and EPOCHISH.search(model.leaves[k[1]].var):
            return k, 1
    for k in unknown:
        if k[0] == "V" and EPOCHISH.search(k[1][1]):
            return k, 1
    return unknown[0], 0


# ---- solving ----------------------------------------------------------------------------

def solve(model: Model, budget: Budget, round_decimals: int | None) -> Solution:
    """New leaf values for the targets set by :func:`set_targets`."""
    dims = dimensions(model)
    x0 = model.initial()
    prior = {k: v * (budget.r ** dims.get(k, 0)) if dims.get(k, 0) else v
             for k, v in x0.items()}
    conflict = _conflicts(model)
    for leaf in conflict:
        prior[leaf] = x0[leaf]
    # every leaf of a field that moves, or that shares an expression with an epoch
    involved: set[Any] = set()
    for f in model.fields:
        if f.kind != "keep" or any(dims.get(k, 0) for k in f.deps):
            involved |= f.deps
    free = [k for k in model.leaves if k in involved and k not in conflict]
    x = newton(model, dict(prior), free, dims)
    detach = _off_target(model, x)
    if detach:  # leaves shared by fields that disagree: keep them, detach the fields
        culprits = {k for f in detach for k in f.deps if k in free}
        shared = {k for k in culprits if sum(k in f.deps for f in model.fields) > 1}
        if shared:
            free2 = [k for k in free if k not in shared]
            x = dict(prior)
            for k in shared:
                x[k] = x0[k]
            x = newton(model, x, free2, dims)
            detach = _off_target(model, x)
    solution = Solution(x0, x, detach, conflict)
    make_whole(model, budget, solution, free)
    # --round and float noise
    for k in free:
        v = x[k]
        if round_decimals is not None and abs(v - x0[k]) > TOL * max(1.0, abs(x0[k])):
            v = round(v, round_decimals)
        x[k] = clean_float(v)
    return solution


def _conflicts(model: Model) -> dict[Any, list[Field]]:
    """Leaves used as-is by an epoch field and by a field that must not change."""
    conflict: dict[Any, list[Field]] = {}
    direct: dict[Any, list[Field]] = {}
    for f in model.fields:
        leaf = model.direct_leaf(f.expr)
        if leaf is not None:
            direct.setdefault(leaf, []).append(f)
    for leaf, fs in direct.items():
        moving = [f for f in fs if f.kind != "keep" and not satisfied(f, f.old)]
        fixed = [f for f in fs if f.kind == "keep" and f.old != 0]
        if moving and fixed:
            conflict[leaf] = fixed
    return conflict


def _off_target(model: Model, x: Mapping[Any, float]) -> list[Field]:
    relaxed = model.values(x, relaxed=True)
    return [f for f, v in zip(model.fields, relaxed) if not satisfied(f, v)]


def make_whole(model: Model, budget: Budget, solution: Solution, free: list[Any]) -> None:
    """ACDC epochs and CosineAnnealingWarmRestarts `cycle_epochs` must be whole.

    First the epoch leaves they are computed from are rounded (half up), unless a leaf
    is the new end of training (rounding it would change `max_epochs`); a field still
    not whole then gets a whole value of its own (rounded down if rounding up would
    pass the end of training).
    """
    x, detach, notes, epochs = solution.x, solution.detach, solution.notes, budget.epochs
    first = _not_whole(model, x, detach)
    for f, v in first:
        k = model.direct_leaf(f.expr)
        if k is None or k not in free:
            continue
        users = [g for g in model.fields if k in g.deps]
        value = x[k]
        if float(value).is_integer():
            continue  # rounded already, for another field
        if len(users) > 1 and abs(value - epochs) <= TOL * epochs:
            continue  # the end of training: give the field a value of its own instead
        whole = _whole_value(model, epochs, f, value)
        x[k] = whole
        what = model.leaves[k].what
        if len(users) == 1:
            notes.append(f"{f.label} is rounded to {whole:g} (exact {value:g}): "
                         "SparseML needs a whole number of epochs here")
        else:
            notes.append(f"{what} is rounded to {whole:g} (exact {value:g}): "
                         f"{f.label} needs a whole number of epochs")
    for f, v in _not_whole(model, x, detach):
        f.target = _whole_value(model, epochs, f, v)
        detach.append(f)
        solution.reasons[id(f)] = (f"rounded from {v:g}: SparseML needs a whole number of "
                                   "epochs here")
    for f, v in first:
        if f not in detach:
            f.target = float(model.values(x, relaxed=False)[model.fields.index(f)] or v)


def _not_whole(model: Model, x: Mapping[Any, float], detach: list[Field]
               ) -> list[tuple[Field, float]]:
    """The fields that must be whole and are not (and are not detached)."""
    out = []
    detached = {id(f) for f in detach}
    for f, v in zip(model.fields, model.values(x, relaxed=False)):
        if f.integral and f.kind != "keep" and v is not None and \
                id(f) not in detached and not float(v).is_integer():
            out.append((f, v))
    return out


def _whole_value(model: Model, epochs: float, f: Field, v: float) -> float:
    whole = float(math.floor(v + 0.5))
    if whole > epochs and any(
            g is not f and g.kind == "pos" and not g.integral
            and abs(g.target - epochs) <= TOL * epochs for g in model.fields):
        # another modifier ends training at the new budget: stay inside it
        whole = float(math.floor(v))
    if f.kind == "dur" or f.int_type:
        whole = max(1.0, whole)
    return whole


def newton(model: Model, x: dict[Any, float], free: list[Any], dims: Mapping[Any, int]
           ) -> dict[Any, float]:
    """Minimal weighted change of the free leaves that puts every field on target."""
    eq = [i for i, f in enumerate(model.fields) if f.deps & set(free)]
    if not eq or not free:
        return x
    weights = _weights(model, x, free, dims)
    for _ in range(30):
        vals = model.values(x, relaxed=True)
        res = []
        for i in eq:
            v = vals[i]
            if v is None:
                return x
            res.append(model.fields[i].target - v)
        scale = max([abs(model.fields[i].target) for i in eq] + [1.0])
        if max(abs(r) for r in res) <= 1e-13 * scale:
            break
        jac = _jacobian(model, x, free, eq, weights)
        # A (m x n) = transpose of jac; solve (A A^T + lam) y = res, du = A^T y
        m, n = len(eq), len(free)
        aat = [[sum(jac[j][p] * jac[j][q] for j in range(n)) for q in range(m)]
               for p in range(m)]
        lam = 1e-12 * max([aat[p][p] for p in range(m)] + [1e-300])
        for p in range(m):
            aat[p][p] += lam
        y = gauss(aat, res)
        if y is None:
            return x
        for j, k in enumerate(free):
            x[k] = x[k] + weights[j] * sum(jac[j][p] * y[p] for p in range(m))
    return x


def _weights(model: Model, x: Mapping[Any, float], free: list[Any],
             dims: Mapping[Any, int]) -> list[float]:
    weights = []
    for k in free:
        leaf = model.leaves[k]
        w = max(abs(x[k]), 1e-3)
        if leaf.span is not None:
            w *= 0.3  # rather change a variable than a literal inside an expression
        if dims.get(k, 0) == 0:
            w *= 0.01  # rather change epochs than fractions
        weights.append(w)
    return weights


def _jacobian(model: Model, x: dict[Any, float], free: list[Any], eq: list[int],
              weights: list[float]) -> list[list[float]]:
    """Weighted central differences: one column per free leaf, one row per equation."""
    jac = []
    for j, k in enumerate(free):
        h = 1e-6 * max(1.0, abs(x[k]))
        xp = dict(x)
        xp[k] = x[k] + h
        vp = model.values(xp, relaxed=True)
        xm = dict(x)
        xm[k] = x[k] - h
        vm = model.values(xm, relaxed=True)
        col = []
        for i in eq:
            a, b = vp[i], vm[i]
            col.append(0.0 if a is None or b is None else (a - b) / (2 * h) * weights[j])
        jac.append(col)
    return jac


def gauss(a: list[list[float]], b: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting (a is small and well conditioned)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[piv][col]) < 1e-300:
            return None
        m[col], m[piv] = m[piv], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    y = [0.0] * n
    for r in range(n - 1, -1, -1):
        y[r] = (m[r][n] - sum(m[r][c] * y[c] for c in range(r + 1, n))) / m[r][r]
    return y


# ---- what is left over ------------------------------------------------------------------

def deviations(model: Model, solution: Solution, round_decimals: int | None) -> list[str]:
    """Notes for the fields that do not reach their target (detached ones aside)."""
    notes = []
    x = solution.x
    real = model.values(x, relaxed=False)
    relaxed = model.values(x, relaxed=True)
    detached = {id(f) for f in solution.detach}
    rounded = 0
    for f, v, rv in zip(model.fields, real, relaxed):
        if id(f) in detached or satisfied(f, v):
            continue
        if v is None:
            continue
        if round_decimals is not None and abs(v - f.target) <= 10 ** -round_decimals * 100 * max(
                1.0, abs(f.target)):
            rounded += 1
            continue
        if rv is not None and satisfied(f, rv):
            notes.append(f"{f.label} is {v:g} instead of {f.target:g}: the recipe's "
                         "own expression rounds it")
        elif f.integral and float(v).is_integer():
            continue  # rounded on purpose (see `make_whole`)
        else:
            notes.append(f"{f.label} is {v:g} instead of {f.target:g}")
    if rounded:
        notes.append(f"{rounded} field(s) differ from the exact scaled value by "
                     f"--round {round_decimals}")
    return notes


def unused_variables(model: Model) -> list[str]:
    """Notes for epoch-like variables no modifier uses (they are left as they are)."""
    notes = []
    used = set().union(*[f.deps for f in model.fields]) if model.fields else set()
    for (scope, name), d in model.defs.items():
        if d is None or d.op != "leaf" or d.key in used:
            continue
        leaf = model.leaves.get(d.key)
        if leaf is not None and EPOCHISH.search(name) and leaf.value > 0:
            notes.append(f"variable `{name}` ({leaf.value:g}) is not used by any "
                         "modifier and was left as is")
    return notes
