"""Invariants of the schedule engine over generated recipes (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_studio.read.load import load
from recipe_studio.render.schedule_text import schedule_json
from recipe_studio.schedule.simulation import simulate
from recipe_studio.schedule.formulas import step_epoch
from tests.schedule.recipes import num, recipes

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

grid = st.integers(0, 80).map(lambda i: i / 20)


@SETTINGS
@given(start=st.one_of(st.just(-1.0), grid), length=st.integers(1, 60).map(lambda i: i / 20),
       freq=st.sampled_from([-1.0, 0.0, 0.1, 0.25, 0.3, 0.5, 1.0]),
       func=st.sampled_from(["linear", "cubic", "inverse_cubic"]),
       init=st.integers(0, 50).map(lambda i: i / 100),
       final=st.integers(51, 99).map(lambda i: i / 100), spe=st.integers(1, 8))
def test_gmp_targets_rise_monotonically_within_bounds(start, length, freq, func, init, final,
                                                      spe) -> None:
    end = max(start, 0.0) + length
    text = f"""modifiers:
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: {num(init)}
    final_sparsity: {num(final)}
    start_epoch: {num(start)}
    end_epoch: {num(end)}
    update_frequency: {num(freq)}
    inter_func: {func}
"""
    s = simulate(load(text), spe, epochs=math.ceil(end) + 1)
    track = s.track(0)
    values = [v for v in track.sparsity]
    if track.crash is not None:  # only an inverse_cubic end between steps may crash
        assert func == "inverse_cubic" and track.crash.exception == "TypeError"
        assert step_epoch(track.crash.step, spe) > end
        values = values[:track.crash.step]
    applied = [v for v in values if v is not None]
    if not applied:  # crashed at its first update (start and end inside one step)
        assert track.crash is not None and track.crash.step == track.updates[0]
        return
    assert all(a <= b for a, b in zip(applied, applied[1:]))
    assert all(init <= v <= final for v in applied)
    if track.crash is None:
        assert applied[-1] == final  # the end update clamps to final_sparsity
    # updates: the first step at/after start, then the first step at/after last + freq
    ups = track.updates
    assert ups[0] == first_step(start if start >= 0 else 0.0, spe)
    for a, b in zip(ups, ups[1:-1]):
        ta, tb = step_epoch(a, spe), step_epoch(b, spe)
        if freq > 0:
            assert tb >= ta + freq and step_epoch(b - 1, spe) < ta + freq
        else:
            assert b == a + 1


def first_step(epoch: float, spe: int) -> int:
    k = 0
    while step_epoch(k, spe) < epoch:
        k += 1
    return k


@SETTINGS
@given(start=grid, length=st.integers(1, 60).map(lambda i: i / 20),
       func=st.sampled_from(["linear", "cosine"]),
       init=st.sampled_from([0.1, 0.05, 0.001, 0.0]),
       final=st.sampled_from([0.2, 0.01, 0.0001, 0.0]), spe=st.integers(1, 8))
def test_lr_function_hits_final_lr_at_an_on_grid_end(start, length, func, init, final,
                                                     spe) -> None:
    end = start + length
    text = f"""modifiers:
  - !LearningRateFunctionModifier
    lr_func: {func}
    init_lr: {num(init)}
    final_lr: {num(final)}
    start_epoch: {num(start)}
    end_epoch: {num(end)}
"""
    s = simulate(load(text), spe, epochs=math.ceil(end) + 1)
    track = s.track(0)
    assert track.end_step is not None and not s.crashes
    end_t = step_epoch(track.end_step, spe)
    lo, hi = min(init, final), max(init, final)
    window = [s.lr.at(k) for k in range(track.start_step, track.end_step)]
    assert all(lo - 1e-12 <= v <= hi + 1e-12 for v in window)
    if end_t == end:  # the end is a step: the last update is final_lr (to rounding)
        assert math.isclose(s.lr.at(track.end_step), final, rel_tol=1e-12, abs_tol=1e-18)
        assert s.lr.at(s.n_steps - 1) == s.lr.at(track.end_step)


@SETTINGS
@given(recipes())
def test_any_recipe_simulates_without_raising(example) -> None:
    text, spe = example
    s = simulate(load(text), spe)
    assert s.n_steps == s.total_epochs * spe
    for crash in s.crashes:
        assert 0 <= crash.step < s.n_steps and crash.message
    for series in [s.lr, s.weight_decay] + [t.sparsity for t in s.pruning]:
        assert list(series) == [series.at(k) for k in range(s.n_steps)]
    data = schedule_json(s)
    assert len(data["steps"]) == s.n_steps
    assert [m["index"] for m in data["modifiers"]] == [t.index for t in s.tracks]
    assert all(set(step["sparsity"]) == {str(t.index) for t in s.pruning}
               for step in data["steps"])
