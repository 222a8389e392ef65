"""EpochRangeModifier and SparsificationLoggingModifier (sparseml-recipes.md §5.1)."""

from __future__ import annotations

import math

from recipe_studio.models.base import RANGE, SCHEDULE, TYPE

from .util import DROP, accept, table_tests

ACCEPT = [
    ("EpochRangeModifier", {}),
    ("EpochRangeModifier", {"start_epoch": "0", "end_epoch": "1e1"}),  # float() of strings
    ("EpochRangeModifier", {"start_epoch": 5, "end_epoch": 5}),
    ("EpochRangeModifier", {"start_epoch": 5, "end_epoch": -1}),
    ("EpochRangeModifier", {"start_epoch": -1, "end_epoch": -1}),
    ("EpochRangeModifier", {"start_epoch": -0.5}),  # accepted, never starts (a lint rule)
    ("EpochRangeModifier", {"start_epoch": True}),  # bool is an int
    ("EpochRangeModifier", {"end_epoch": math.nan}),  # NaN compares false everywhere
    ("SparsificationLoggingModifier", {}),
    ("SparsificationLoggingModifier", {"update_frequency": -1}),
    ("SparsificationLoggingModifier", {"update_frequency": 0}),
    ("SparsificationLoggingModifier", {"update_frequency": math.nan}),
    ("SparsificationLoggingModifier", {"end_epoch": 3}),
]

REJECT = [
    ("EpochRangeModifier", {"end_epoch": DROP}, "missing", "end_epoch", ""),
    ("EpochRangeModifier", {"start_epoch": "x"}, TYPE, "start_epoch", "must be a number"),
    ("EpochRangeModifier", {"start_epoch": None}, TYPE, "start_epoch", "got null"),
    ("EpochRangeModifier", {"start_epoch": [1]}, TYPE, "start_epoch", "a list"),
    ("EpochRangeModifier", {"start_epoch": -2}, SCHEDULE, "start_epoch", "at least -1"),
    ("EpochRangeModifier", {"start_epoch": 5, "end_epoch": 4}, SCHEDULE, "end_epoch",
     "before `start_epoch`"),
    ("EpochRangeModifier", {"end_epoch": -2}, SCHEDULE, "end_epoch", "at least -1"),
    ("EpochRangeModifier", {"start_epoch": 10**400}, RANGE, "start_epoch", "too large"),
    ("EpochRangeModifier", {"foo": 1}, "extra_forbidden", "foo", ""),
    # update_frequency is compared without float(): quoted numbers fail in SparseML
    ("SparsificationLoggingModifier", {"update_frequency": "1"}, TYPE, "update_frequency",
     "without quotes"),
    ("SparsificationLoggingModifier", {"update_frequency": None}, TYPE, "update_frequency",
     "got null"),
    ("SparsificationLoggingModifier", {"update_frequency": -1.5}, SCHEDULE, "update_frequency",
     "at least -1"),
    ("SparsificationLoggingModifier", {"start_epoch": DROP}, "missing", "start_epoch", ""),
]


test_accepts, test_rejects = table_tests(ACCEPT, REJECT)


def test_values_are_converted():
    spec = accept("EpochRangeModifier", start_epoch="0.5", end_epoch=True)
    assert spec.start_epoch == 0.5
    assert spec.end_epoch == 1.0 and isinstance(spec.end_epoch, float)
    logging = accept("SparsificationLoggingModifier", update_frequency=2)
    assert logging.update_frequency == 2.0
