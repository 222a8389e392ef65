"""SparseML 1.8's schedule formulas (sparseml-recipes.md §6), as pure functions.

Each function evaluates the same floating-point expression, in the same order, as the
SparseML (or torch) code it mirrors, so results agree bit for bit; the schedule engine and
the lint rules share them. Where SparseML raises (division by zero, the complex number of
an off-grid `inverse_cubic` end), these functions raise the same exception type.
"""

from __future__ import annotations

import math
import sys

#: sys.float_info.epsilon, the tolerance SparseML compares against
EPS = sys.float_info.epsilon


def step_epoch(k: int, spe: int) -> float:
    """Epoch SparseML passes to `update` before optimizer step `k` (§7.1)."""
    return float(k // spe) + float(k % spe) / float(spe)


def interpolate(x: float, func: str) -> float | complex:
    """`y_per` of sparseml.utils.interpolate for `x_per = x` (complex for an
    `inverse_cubic` overshoot, `x > 1`)."""
    if func == "linear":
        return x
    if func == "cubic":
        return 1 - (1 - x) ** 3
    if func == "inverse_cubic":
        return 1 - (1 - x) ** (1 / 3)
    raise ValueError(f"unknown inter_func {func!r}")


def interpolate_value(t: float, x0: float, x1: float, y0: float, y1: float,
                      func: str = "linear") -> float:
    """sparseml.utils.interpolate(t, x0, x1, y0, y1, func), bit for bit.

    Raises ZeroDivisionError when `x0 == x1` and TypeError when an `inverse_cubic` value
    is complex (`t` past `x1`), exactly where SparseML does.
    """
    y = interpolate((t - x0) / (x1 - x0), func)
    if y <= 0.0 + EPS:  # a complex y raises TypeError here, like SparseML
        return y0
    if y >= 1.0 - EPS:
        return y1
    return y * (y1 - y0) + y0


def gmp_target(t: float, start: float, end: float, init: float, final: float,
               func: str = "cubic") -> float:
    """The sparsity a GMP-family pruner applies at an update at epoch `t` (§6.1).

    Raises ZeroDivisionError for start == end and TypeError for the inverse_cubic overshoot,
    exactly where SparseML does.
    """
    return interpolate_value(t, start, end, init, final, func)


def lr_linear(t: float, start: float, end: float, init: float, final: float) -> float:
    """LearningRateFunctionModifier._linear."""
    s = start if start > 0 else 0.0
    return init + ((t - s) / (end - s)) * (final - init)


def lr_cosine(t: float, start: float, end: float, init: float, final: float) -> float:
    """LearningRateFunctionModifier._cosine (down to, or up to, `final`)."""
    s = start if start > 0 else 0.0
    x_norm = (t - s) / (end - s)
    if final < init:
        y_range = init - final
        y_shift = final
        x_shift: float = 0
    else:
        y_range = final - init
        y_shift = init
        x_shift = math.pi
    return math.cos(x_norm * math.pi + x_shift) * y_range / 2 + y_range / 2 + y_shift


def lr_cyclic_linear(t: float, start: float, end: float, init: float, final: float,
                     cycle_epochs: float, spe: int) -> float:
    """LearningRateFunctionModifier._cyclic_linear: a saw-tooth restarting at `init` every
    `cycle_epochs` (in steps; the last cycle may be shorter). Raises ZeroDivisionError for
    one-step cycles and `cycle_epochs` 0, like SparseML."""
    end_step = end * spe
    start_step = start * spe
    cycle_steps = cycle_epochs * spe
    current_step = (t - start) * spe
    if current_step > int((end_step - start_step) / cycle_steps) * cycle_steps:
        cycle_steps = (end_step - start_step) % cycle_steps
    adjusted_step = current_step % cycle_steps
    return init - (adjusted_step / (cycle_steps - 1)) * (init - final)


def lr_function_value(func: str, t: float, start: float, end: float, init: float,
                      final: float, cycle_epochs: float = 1.0, spe: int = 1) -> float:
    """LearningRateFunctionModifier's learning rate at epoch `t` (§6.2)."""
    if func == "cyclic_linear":
        return lr_cyclic_linear(t, start, end, init, final, cycle_epochs, spe)
    if func == "linear":
        return lr_linear(t, start, end, init, final)
    if func == "cosine":
        return lr_cosine(t, start, end, init, final)
    raise ValueError(f"unknown lr_func {func!r}")


def cosine_warm_restarts(epoch: float, t_0: int, t_mult: int, eta_min: float,
                         base_lr: float) -> float:
    """torch's CosineAnnealingWarmRestarts.step(epoch) learning rate (closed form)."""
    if epoch >= t_0:
        if t_mult == 1:
            t_cur = epoch % t_0
            t_i = t_0
        else:
            n = int(math.log((epoch / t_0 * (t_mult - 1) + 1), t_mult))
            t_cur = epoch - t_0 * (t_mult ** n - 1) / (t_mult - 1)
            t_i = t_0 * t_mult ** n
    else:
        t_i = t_0
        t_cur = epoch
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
