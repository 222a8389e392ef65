"""LayerThinningModifier (sparseml-recipes.md §5.6)."""

from __future__ import annotations

import pytest

from recipe_studio.models.base import CHOICE, RANGE, SCHEDULE, TYPE

from .util import DROP, accept, reject

NAME = "LayerThinningModifier"


@pytest.mark.parametrize("changes", [
    {}, {"param_group_dependency_map": {}}, {"param_group_dependency_map": {"a,b": None}},
    {"structure_type": "channel"}, {"update_epochs": [1, 2.5, 3]},
    {"update_epochs": ["a", "b"]},  # any sorted, unique, comparable items
    {"update_epochs": [True, 2]}, {"update_epochs": 0}, {"update_epochs": ""},
    {"update_epochs": None}, {"end_epoch": "x"}, {"strict": None}, {"start_epoch": "1"},
])
def test_accepts(changes):
    accept(NAME, **changes)


@pytest.mark.parametrize(("changes", "kind", "where", "fragment"), [
    ({"param_group_dependency_map": DROP}, "missing", "param_group_dependency_map", ""),
    ({"param_group_dependency_map": ["a"]}, TYPE, "param_group_dependency_map", "a list"),
    ({"param_group_dependency_map": {1: "b"}}, TYPE, "param_group_dependency_map",
     "keys of `param_group_dependency_map` must be strings"),
    ({"structure_type": "Filter"}, CHOICE, "structure_type", "`filter`, `channel`"),
    ({"update_epochs": [2, 1]}, RANGE, "update_epochs", "sorted"),
    ({"update_epochs": [1, 1.0]}, RANGE, "update_epochs", "may not repeat"),
    ({"update_epochs": "ab"}, TYPE, "update_epochs", "a string"),
    ({"update_epochs": 5}, TYPE, "update_epochs", "an integer"),
    ({"update_epochs": [[1]]}, TYPE, "update_epochs", "a list"),
    ({"update_epochs": [1, "a"]}, TYPE, "update_epochs", "a list"),
    ({"update_epochs": {1: 2}}, TYPE, "update_epochs", "a mapping"),
    ({"start_epoch": -2}, SCHEDULE, "start_epoch", "at least -1"),
])
def test_rejects(changes, kind, where, fragment):
    err = reject(NAME, **changes)
    assert (err["type"], err["where"]) == (kind, where)
    assert fragment in err["msg"]


def test_metadata():
    from recipe_studio.models.thinning import LayerThinningModifier

    assert set(LayerThinningModifier.epoch_fields()) == {"start_epoch", "update_epochs"}
    assert set(LayerThinningModifier.ignored_fields()) == {"end_epoch"}
    assert accept(NAME, end_epoch=30).effective_end_epoch == -1.0
    assert accept(NAME, update_epochs=0).update_epochs == []
