"""SparseML 1.8's schedule formulas (sparseml-recipes.md §6), as pure functions.

Verified there against SparseML step by step (max deviation 0.0); the schedule engine and
the lint rules share them.
"""

from __future__ import annotations

import math

EPS = 2.220446049250313e-16


def step_epoch(k: int, spe: int) -> float:
    """Epoch SparseML passes to `update` before optimizer step `k` (§7.1)."""
    return float(k // spe) + float(k % spe) / float(spe)


def interpolate(x: float, func: str) -> float | complex:
    if func == "linear":
        return x
    if func == "cubic":
        return 1 - (1 - x) ** 3
    if func == "inverse_cubic":
        return 1 - (1 - x) ** (1 / 3)
    raise ValueError(f"unknown inter_func {func!r}")


def gmp_target(t: float, start: float, end: float, init: float, final: float,
               func: str = "cubic") -> float:
    """The sparsity a GMP-family pruner applies at an update at epoch `t` (§6.1).

    Raises ZeroDivisionError for start == end and TypeError for the inverse_cubic overshoot,
    exactly where SparseML does.
    """
    x = (t - start) / (end - start)
    y = interpolate(x, func)
    if y <= EPS:  # complex y raises TypeError here, like SparseML
        return init
    if y >= 1 - EPS:
        return final
    return init + y * (final - init)


def lr_function_value(func: str, t: float, start: float, end: float, init: float,
                      final: float, cycle_epochs: float = 1.0, spe: int = 1) -> float:
    """LearningRateFunctionModifier's learning rate at epoch `t` (§6.2)."""
    if func == "cyclic_linear":
        n = (end - start) * spe
        c = cycle_epochs * spe
        cur = (t - start) * spe
        if cur > math.floor(n / c) * c:
            c = n % c
        return init - ((cur % c) / (c - 1)) * (init - final)
    s = start if start > 0 else 0.0
    x = (t - s) / (end - s)
    if func == "linear":
        return init + x * (final - init)
    if final < init:
        return final + (init - final) * (1 + math.cos(math.pi * x)) / 2
    return init + (final - init) * (1 - math.cos(math.pi * x)) / 2
