"""Modifier intervals and the training length, with SparseML 1.8's rules.

* A modifier starts on the first step with `epoch >= start_epoch` (`-1`: the first step);
  a start in (-1, 0) never starts (the start condition is `t >= start >= 0 or start == -1`).
* `end_epoch == -1` means it never ends; some classes force it to -1 (SetLearningRate,
  SetWeightDecay, LayerThinning, QuantizationModifier).
* `max_epochs = max(ceil(start) for start > -1, ceil(end) for end > -1)`, over every
  modifier of every stage, `-1` when there is none; `min_epochs = min(floor(start) for
  start > -1)`. Integrations train for `max_epochs` epochs, so any modifier ending after
  the EpochRangeModifier silently lengthens training (sparseml-recipes.md §7.3).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from recipe_studio.read.recipe import ModifierEntry, Recipe

NEVER = -1.0


@dataclass(frozen=True)
class Interval:
    """When one (valid) modifier is active, in epochs."""

    index: int
    type: str
    family: str
    start: float
    end: float
    entry: ModifierEntry = field(compare=False, repr=False)

    @property
    def never_starts(self) -> bool:
        return -1 < self.start < 0

    @property
    def first_epoch(self) -> float:
        """Epoch of the first step it acts on (0 for the -1 sentinel)."""
        return 0.0 if self.start == -1 else self.start

    @property
    def open_ended(self) -> bool:
        return self.end == NEVER

    def last_epoch(self, training_end: float) -> float:
        """End of activity, `training_end` for open-ended modifiers."""
        return training_end if self.open_ended else self.end

    def overlaps(self, other: Interval, training_end: float) -> bool:
        """Half-open overlap [first, last) of the two activity windows."""
        a0, a1 = self.first_epoch, self.last_epoch(training_end)
        b0, b1 = other.first_epoch, other.last_epoch(training_end)
        if self.never_starts or other.never_starts:
            return False
        return max(a0, b0) < min(a1, b1) or (a0 == b0 and (a0 == a1 or b0 == b1))


@dataclass
class Timeline:
    intervals: list[Interval]
    max_epochs: int
    min_epochs: int

    @property
    def epoch_ranges(self) -> list[Interval]:
        return [i for i in self.intervals if i.type == "EpochRangeModifier"]

    @property
    def declared_end(self) -> float | None:
        """The largest EpochRangeModifier end (what a trainer that honours it stops at)."""
        ends = [i.end for i in self.epoch_ranges if i.end != NEVER]
        return max(ends) if ends else None

    # rules ask for these once per pair of modifiers: computed once (nothing changes
    # `intervals` after `timeline()` made it; a change of its length recomputes them)
    _by_index: dict[int, Interval] | None = field(default=None, init=False, repr=False,
                                                  compare=False)
    _training_end: float | None = field(default=None, init=False, repr=False, compare=False)
    _cached_for: int = field(default=-1, init=False, repr=False, compare=False)

    def _fresh(self) -> None:
        if self._cached_for != len(self.intervals):
            self._by_index, self._training_end = None, None
            self._cached_for = len(self.intervals)

    @property
    def training_end(self) -> float:
        """Where training ends for rules: the EpochRange end if declared, else max_epochs."""
        self._fresh()
        if self._training_end is None:
            declared = self.declared_end
            self._training_end = declared if declared is not None else \
                float(max(self.max_epochs, 0))
        return self._training_end

    def of_family(self, family: str) -> list[Interval]:
        return [i for i in self.intervals if i.family == family]

    def get(self, index: int) -> Interval | None:
        self._fresh()
        if self._by_index is None:
            by_index: dict[int, Interval] = {}
            for i in self.intervals:
                by_index.setdefault(i.index, i)  # the first, as a search from the start
            self._by_index = by_index
        return self._by_index.get(index)


def timeline(recipe: Recipe, entries: Iterable[ModifierEntry] | None = None) -> Timeline:
    """Intervals of the recipe's valid modifiers and SparseML's max/min epochs.

    With `entries` (the lint rules' modifiers), those modifiers' views are used: a partial
    view of a modifier that failed to load takes part when its start and end are known.
    """
    from recipe_studio.read.partial import UnknownFieldValue

    intervals = []
    for entry in (recipe.modifiers if entries is None else entries):
        spec = entry.spec if entries is None else entry.view
        if spec is None:
            continue
        try:
            start, end = float(spec.effective_start_epoch), float(spec.effective_end_epoch)
        except UnknownFieldValue:
            continue
        intervals.append(Interval(entry.index, entry.type, spec.family, start, end, entry))
    starts = [i.start for i in intervals if i.start > -1]
    ends = [i.end for i in intervals if i.end > -1]
    vals = [math.ceil(v) for v in starts + ends if math.isfinite(v)]
    max_epochs = max(vals) if vals else -1
    mins = [math.floor(v) for v in starts if math.isfinite(v)]
    min_epochs = min(mins) if mins else -1
    return Timeline(intervals, max_epochs, min_epochs)
