"""`recipe-studio plot`: the schedule as a picture (sparsity, learning rate, phases).

matplotlib is an optional extra (`pip install 'recipe-studio[plot]'`); it is imported only
when a plot is drawn, with the Agg backend (no display needed).
"""

from __future__ import annotations

import io
import math
from typing import Any

from recipe_studio import numbers
from recipe_studio.read.recipe import Recipe
from recipe_studio.render.schedule_text import describe, short, sparsity_value
from recipe_studio.schedule.results import Schedule, Series

FORMATS = ("png", "svg")
INSTALL_HINT = "pip install 'recipe-studio[plot]'"

_PHASE_COLORS = {"pruning": "#2ca02c", "recovery": "#1f77b4", "QAT": "#9467bd",
                 "dense": "#7f7f7f", "training": "#7f7f7f"}
_PHASE_ALPHA = {"pruning": 0.07, "recovery": 0.05, "QAT": 0.16, "dense": 0.04,
                "training": 0.04}
_LINE_COLORS = ("#2ca02c", "#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
                "#bcbd22", "#7f7f7f")
_LR_COLOR = "#1f4e9c"


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable("plotting needs matplotlib, which comes with the `plot` extra: "
                              f"{INSTALL_HINT}") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _steps(series: Series, schedule: Schedule, convert: Any = None) -> tuple[list[float],
                                                                               list[float]]:
    """x (epochs) and y of a step function, from its change points, over the whole range."""
    xs: list[float] = []
    ys: list[float] = []
    value = series.default
    if not series.steps or series.steps[0] > 0:
        xs.append(0.0)
        ys.append(_num(value, convert))
    for k, v in series.changes():
        if k >= schedule.n_steps:
            break
        xs.append(schedule.epoch(k))
        ys.append(_num(v, convert))
        value = v
    xs.append(float(schedule.total_epochs))
    ys.append(ys[-1] if ys else math.nan)
    return xs, ys


def _num(value: Any, convert: Any) -> float:
    if convert is not None:
        value = convert(value)
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def render_plot(schedule: Schedule, recipe: Recipe, fmt: str, *, title: str) -> bytes:
    """The schedule drawn as a PNG or SVG: one sparsity curve per pruner (left axis), the
    learning rate (right axis), the phases shaded and the QAT events marked."""
    if fmt not in FORMATS:
        raise ValueError(f"unsupported plot format {fmt!r} (use {' or '.join(FORMATS)})")
    plt = _pyplot()
    n_legend = len(schedule.pruning) + 1 + (1 if schedule.qat else 0)
    rows = n_legend if n_legend <= 3 else math.ceil(n_legend / 2)
    height = 4.6 + 0.22 * rows
    # SVG text stays text (searchable, smaller); fixed ids make the output reproducible
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "recipe-studio",
                         "font.family": "DejaVu Sans"}):
        return _draw(plt, schedule, recipe, fmt, title, height, rows)


def _draw(plt: Any, schedule: Schedule, recipe: Recipe, fmt: str, title: str, height: float,
          rows: int) -> bytes:
    entries = {m.index: m for m in recipe.modifiers}
    total = float(schedule.total_epochs)
    fig, ax = plt.subplots(figsize=(10, height), dpi=150)
    try:
        _axes(fig, ax, total, height, rows)
        _phases(ax, schedule, total)
        handles = _pruning_lines(ax, schedule, entries, total)
        handles += _lr_line(ax, schedule)
        handles += _qat_marks(ax, schedule, total)
        _crash(ax, schedule, total)
        _titles(fig, schedule, title, total, height, handles)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, metadata={"Software": "recipe-studio"}
                    if fmt == "png" else {"Creator": "recipe-studio", "Date": None})
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _axes(fig: Any, ax: Any, total: float, height: float, rows: int) -> None:
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    # layout in inches: title, subtitle, phase labels, axes, x label, legend
    fig.subplots_adjust(left=0.075, right=0.9, top=1 - 0.85 / height,
                        bottom=(0.75 + 0.22 * rows) / height)
    ax.set_xlim(0, total)
    ax.set_ylim(0, 1.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("sparsity")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    ax.grid(True, color="#e6e6e6", linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ("top",):
        ax.spines[spine].set_visible(False)


def _phases(ax: Any, schedule: Schedule, total: float) -> None:
    for phase in schedule.phases():
        color = _PHASE_COLORS.get(phase.name, "#7f7f7f")
        ax.axvspan(phase.start, phase.end, color=color,
                   alpha=_PHASE_ALPHA.get(phase.name, 0.05), linewidth=0)
        if phase.end - phase.start >= total * 0.04:
            ax.text((phase.start + phase.end) / 2, 1.015, phase.name,
                    transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                    fontsize=9, color=color, fontweight="bold")
        if phase.start > 0:
            ax.axvline(phase.start, color=color, linewidth=0.8, alpha=0.5)


def _pruning_lines(ax: Any, schedule: Schedule, entries: dict[int, Any], total: float
                   ) -> list[Any]:
    handles = []
    for i, track in enumerate(schedule.pruning):
        assert track.sparsity is not None
        xs, ys = _steps(track.sparsity, schedule, sparsity_value)
        if all(math.isnan(y) for y in ys):
            continue
        label = f"#{track.index} {short(track.type)}: " \
                f"{describe(entries[track.index], track, schedule)}"
        style = "--" if track.type == "ConstantPruningModifier" else "-"
        (line,) = ax.plot(xs, ys, drawstyle="steps-post", linestyle=style, linewidth=2,
                          color=_LINE_COLORS[i % len(_LINE_COLORS)], label=label)
        handles.append(line)
        final = sparsity_value(track.sparsity.at(schedule.n_steps - 1))
        if final is not None:
            ax.annotate(f"{final:.0%}" if abs(final * 100 - round(final * 100)) < 1e-9
                        else f"{final:.1%}", xy=(total, final), xytext=(-4, 4),
                        textcoords="offset points", ha="right", va="bottom", fontsize=8.5,
                        fontweight="bold", color=line.get_color())
    return handles


def _lr_line(ax: Any, schedule: Schedule) -> list[Any]:
    lr_values = [v for v in schedule.lr.values if isinstance(v, (int, float))]
    if not lr_values:
        return []
    lr_ax = ax.twinx()
    xs, ys = _steps(schedule.lr, schedule)
    (line,) = lr_ax.plot(xs, ys, drawstyle="steps-post", color=_LR_COLOR,
                         linewidth=1.6, label="learning rate (param group 0)")
    positive = [v for v in lr_values if v > 0]
    if positive and max(positive) / min(positive) > 100:
        lr_ax.set_yscale("log")
        lr_ax.set_ylim(min(positive) / 2, max(positive) * 2)
    else:
        top = max(lr_values)
        lr_ax.set_ylim(0, top * 1.1 if top > 0 else 1)
    lr_ax.set_ylabel("learning rate", color=_LR_COLOR)
    lr_ax.tick_params(axis="y", colors=_LR_COLOR)
    lr_ax.spines["right"].set_color(_LR_COLOR)
    lr_ax.spines["top"].set_visible(False)
    return [line]


def _qat_marks(ax: Any, schedule: Schedule, total: float) -> list[Any]:
    from matplotlib.lines import Line2D

    handles = []
    qat_color = _PHASE_COLORS["QAT"]
    for track in schedule.qat:
        marks = []
        for ev in track.events:
            what = {"qat_start": "QAT starts", "bn_freeze": "BN stats frozen",
                    "observers_disabled": "observers disabled"}.get(ev.kind)
            if what is None or ev.epoch >= total:
                continue
            marks.append(f"{what} {numbers.epoch_short(ev.epoch)}")
            if ev.kind != "qat_start":
                ax.axvline(ev.epoch, color=qat_color, linestyle=":", linewidth=1.2)
            ax.plot([ev.epoch], [0.0], marker="^", markersize=7, color=qat_color,
                    transform=ax.get_xaxis_transform(), clip_on=False, zorder=5)
        if marks:
            handles.append(Line2D([], [], color=qat_color, linestyle=":", marker="^",
                                  label=f"#{track.index} QAT: " + ", ".join(marks)))
    return handles


def _crash(ax: Any, schedule: Schedule, total: float) -> None:
    if schedule.crashes:
        crash = min(schedule.crashes, key=lambda c: c.step)
        ax.axvspan(crash.epoch, total, facecolor="#bbbbbb", alpha=0.25, hatch="//",
                   edgecolor="#999999", linewidth=0)
        ax.axvline(crash.epoch, color="#d62728", linewidth=1.5)
        ax.text(crash.epoch, 0.5, f"#{crash.index} crashes SparseML ({crash.exception}) ",
                rotation=90, va="center", ha="right", fontsize=8, color="#d62728",
                transform=ax.get_xaxis_transform())


def _titles(fig: Any, schedule: Schedule, title: str, total: float, height: float,
            handles: list[Any]) -> None:
    spe = schedule.steps_per_epoch
    fig.text(0.075, 1 - 0.3 / height, title, ha="left", va="baseline", fontsize=12,
             fontweight="bold")
    fig.text(0.075, 1 - 0.55 / height,
             f"{numbers.epoch_short(total)} epochs × {numbers.step_count(spe)} per epoch "
             f"({schedule.n_steps} steps), as SparseML 1.8 runs it",
             fontsize=9, color="#555555")
    if handles:
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.07, 0.02),
                   ncol=1 if len(handles) <= 3 else 2, fontsize=8.5, frameon=False)
