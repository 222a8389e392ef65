"""What SparseML will do with a recipe over time, computed without torch.

* `timeline` gives each modifier's active interval and the training length exactly as
  SparseML 1.8 derives them (sparseml-recipes.md §7); lint rules build on it.
* `formulas` holds the §6 schedule formulas, bit for bit as SparseML evaluates them.
* `order` rebuilds the order SparseML's manager runs modifiers in (its MD5 identifiers).
* `simulation.simulate` walks every optimizer step: sparsity targets, learning rate, weight
  decay and QAT events, as SparseML's manager produces them (`show`, `plot`, `diff`, `scale`);
  `machines` holds the per-modifier state machines it drives, and `results` the `Schedule`
  it returns (plain data: renderers, `diff`, the language server and rules import it
  without the simulator).
"""

from __future__ import annotations

from typing import Any

from recipe_studio.schedule.timeline import Interval, Timeline, timeline

__all__ = ["Interval", "Schedule", "Timeline", "simulate", "timeline"]


def __getattr__(name: str) -> Any:
    # imported on first use: `recipe-studio lint` only needs the timeline
    if name == "simulate":
        from recipe_studio.schedule.simulation import simulate

        return simulate
    if name == "Schedule":
        from recipe_studio.schedule.results import Schedule

        return Schedule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
