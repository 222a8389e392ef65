"""What SparseML will do with a recipe over time, computed without torch.

`timeline` gives each modifier's active interval and the training length exactly as
SparseML 1.8 derives them (sparseml-recipes.md §7); lint rules and `show` build on it.
"""

from recipe_studio.schedule.timeline import Interval, Timeline, timeline

__all__ = ["Interval", "Timeline", "timeline"]
