"""SetWeightDecayModifier (sparseml-recipes.md §5.3)."""

from __future__ import annotations

import pytest

from recipe_studio.models.base import SCHEDULE

from .util import DROP, accept, reject

NAME = "SetWeightDecayModifier"


@pytest.mark.parametrize("changes", [
    {}, {"weight_decay": -1.0}, {"weight_decay": "x"}, {"weight_decay": None},
    {"end_epoch": "x"}, {"end_epoch": 3}, {"param_groups": [0, 3]}, {"param_groups": "x"},
    {"constant_logging": "x"}, {"start_epoch": "2.5"},
])
def test_accepts(changes):
    accept(NAME, **changes)


@pytest.mark.parametrize(("changes", "kind", "where"), [
    ({"weight_decay": DROP}, "missing", "weight_decay"),
    ({"start_epoch": -2}, SCHEDULE, "start_epoch"),
    ({"foo": 1}, "extra_forbidden", "foo"),
])
def test_rejects(changes, kind, where):
    err = reject(NAME, **changes)
    assert (err["type"], err["where"]) == (kind, where)


def test_constant_logging_uses_convert_to_bool():
    assert accept(NAME, constant_logging="false").constant_logging is False
    assert accept(NAME, constant_logging="off").constant_logging is False  # contains `f`
    assert accept(NAME, constant_logging="yes").constant_logging is True
    assert accept(NAME, end_epoch=12).effective_end_epoch == -1.0
