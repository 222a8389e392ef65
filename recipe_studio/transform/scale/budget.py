"""Where each epoch goes: the old and new budget and the map between them.

Without `--keep-quantization` every epoch is multiplied by `r = N / B` (`B` the largest
start or end epoch, `N` the new budget). With it, the QAT tail (from the first
QuantizationModifier start `q` to `B`) keeps its length and everything before `q` is
fitted into `N - (B - q)` epochs: a piecewise-linear map.
"""

from __future__ import annotations

from dataclasses import dataclass

from recipe_studio.models.quantization import QuantizationSpec
from recipe_studio.read.recipe import Recipe
from recipe_studio.transform.scale.result import ScaleError


@dataclass(frozen=True)
class Budget:
    #: the new budget (N) and the old one (B: the largest start or end epoch)
    epochs: float
    old: float
    #: (old, new) start of the QAT tail with --keep-quantization
    qat: tuple[float, float] | None = None

    @property
    def r(self) -> float:
        """The overall factor N / B."""
        return self.epochs / self.old

    @property
    def r1(self) -> float:
        """The factor before the QAT tail (with --keep-quantization)."""
        assert self.qat is not None
        return self.qat[1] / self.qat[0]

    def phi(self, v: float) -> float:
        """Where epoch `v` goes."""
        if self.qat is None:
            return v * self.epochs / self.old
        q, q2 = self.qat
        if v <= q:
            return v * q2 / q
        return v - q + q2

    def slope(self, v: float) -> float:
        if self.qat is None:
            return self.r
        return self.r1 if v < self.qat[0] else 1.0

    def stretch(self, window: tuple[float, float]) -> float:
        """How much a duration inside a modifier running over `window` (its effective
        start and end epochs, `-1` for the end of training) is stretched."""
        s, e = window
        s = max(s, 0.0)
        e = e if e > -1 else self.old
        if e > s:
            return (self.phi(e) - self.phi(s)) / (e - s)
        return self.slope(s)


def budget_of(recipe: Recipe, epochs: float, keep_quantization: bool) -> tuple[Budget, int]:
    """The budget of a loaded recipe scaled to `epochs`, and its SparseML `max_epochs`.
    Raises :class:`ScaleError` when there is nothing to scale or no QAT tail to keep."""
    from recipe_studio.schedule.timeline import timeline

    tl = timeline(recipe)
    values = [v for i in tl.intervals for v in (i.start, i.end) if v > -1]
    if not values or max(values) <= 0:
        raise ScaleError(
            "the recipe has no epoch budget to scale: every start and end epoch is -1 "
            "or 0 (a one-shot recipe; SparseML's max_epochs is "
            f"{tl.max_epochs})")
    old = max(values)
    if not keep_quantization:
        return Budget(epochs, old), tl.max_epochs
    starts = [i.start for i in tl.intervals if isinstance(i.entry.spec, QuantizationSpec)]
    if not starts:
        raise ScaleError("--keep-quantization: the recipe has no QuantizationModifier")
    if min(starts) < 0:
        raise ScaleError("--keep-quantization: QAT starts at the first step "
                         "(`start_epoch: -1`), so the whole recipe is the QAT tail")
    q = min(starts)
    tail = old - q
    if q <= 0:
        raise ScaleError("--keep-quantization: QAT starts at epoch 0, so the whole "
                         "recipe is the QAT tail")
    if epochs <= tail:
        raise ScaleError(f"--keep-quantization: the QAT tail is {tail:g} epochs "
                         f"(from epoch {q:g} to {old:g}); --epochs must be larger "
                         "than that")
    return Budget(epochs, old, (q, epochs - tail)), tl.max_epochs
