"""DistillationModifier and PerLayerDistillationModifier (sparseml-recipes.md §5.8)."""

from __future__ import annotations

import pytest

from recipe_studio.models.base import RANGE, SCHEDULE, TYPE

from .util import accept, reject

DIST = "DistillationModifier"
PER = "PerLayerDistillationModifier"


@pytest.mark.parametrize(("name", "changes"), [
    (DIST, {}), (DIST, {"update_frequency": "x"}), (DIST, {"hardness": "x"}),
    (DIST, {"distill_output_keys": 5}), (DIST, {"start_epoch": 3}),
    (PER, {}), (PER, {"student_layer_names": {"a": 1}}), (PER, {"teacher_layer_names": ["a"]}),
    (PER, {"student_layer_names": "ab", "teacher_layer_names": ["a", "b"]}),  # len() only
    (PER, {"student_layer_names": [], "teacher_layer_names": {}}),
    (PER, {"gain": "x", "epsilon": None, "update_frequency": [1]}),
])
def test_accepts(name, changes):
    accept(name, **changes)


@pytest.mark.parametrize(("name", "changes", "kind", "where", "fragment"), [
    (DIST, {"end_epoch": -2}, SCHEDULE, "end_epoch", "at least -1"),
    (DIST, {"start_epoch": 3, "end_epoch": 1}, SCHEDULE, "end_epoch", "before"),
    (DIST, {"foo": 1}, "extra_forbidden", "foo", ""),
    # one list given: SparseML copies it with .copy()
    (PER, {"student_layer_names": "abc"}, TYPE, "student_layer_names", "a string"),
    (PER, {"teacher_layer_names": 5}, TYPE, "teacher_layer_names", "an integer"),
    (PER, {"student_layer_names": "ab", "teacher_layer_names": ["a"]}, RANGE,
     "teacher_layer_names", "same length"),
    (PER, {"student_layer_names": 5, "teacher_layer_names": ["a"]}, TYPE,
     "student_layer_names", "an integer"),
])
def test_rejects(name, changes, kind, where, fragment):
    err = reject(name, **changes)
    assert (err["type"], err["where"]) == (kind, where)
    assert fragment in err["msg"]


def test_update_frequency_is_ignored():
    from recipe_studio.models.distillation import (
        DistillationModifier, PerLayerDistillationModifier,
    )

    for model in (DistillationModifier, PerLayerDistillationModifier):
        assert set(model.ignored_fields()) == {"update_frequency"}
        assert set(model.epoch_fields()) == {"start_epoch", "end_epoch"}
