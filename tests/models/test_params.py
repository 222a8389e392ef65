"""TrainableParams, SetParam and GradualParam (sparseml-recipes.md §5.4)."""

from __future__ import annotations

import math

from recipe_studio.models.base import CHOICE, PARAMS, SCHEDULE, TYPE

from .util import DROP, accept, table_tests

TRAIN = "TrainableParamsModifier"
SET = "SetParamModifier"
GRAD = "GradualParamModifier"

ACCEPT = [
    (TRAIN, {}),
    (TRAIN, {"params": "__all__"}),
    (TRAIN, {"params": [["a"], ["b", ["c"]]]}),
    (TRAIN, {"params": {"a": 1}}),  # any iterable: a mapping contributes its keys
    (TRAIN, {"trainable": "false", "params_strict": None}),
    (TRAIN, {"start_epoch": 3, "end_epoch": -1}),
    (SET, {}),
    (SET, {"val": None}),
    (SET, {"start_epoch": 7, "end_epoch": 5}),  # no ordering check (end comparator None)
    (SET, {"end_epoch": 5}),
    (SET, {"params_strict": "x"}),
    (GRAD, {}),
    (GRAD, {"start_epoch": -1}),
    (GRAD, {"start_epoch": -1, "end_epoch": 0}),
    (GRAD, {"init_val": None, "final_val": "x"}),
    (GRAD, {"inter_func": "cubic"}),
    (GRAD, {"update_frequency": -1}),
]

REJECT = [
    (TRAIN, {"trainable": DROP}, "missing", "trainable", ""),
    (TRAIN, {"params": ""}, PARAMS, "params", "empty string"),
    (TRAIN, {"params": "re:.*"}, PARAMS, "params", "'re:.*'"),
    (TRAIN, {"params": None}, TYPE, "params", "got null"),
    (TRAIN, {"params": 0}, TYPE, "params", "an integer"),
    (TRAIN, {"end_epoch": -2}, SCHEDULE, "end_epoch", "at least -1"),
    (TRAIN, {"start_epoch": 5, "end_epoch": 1}, SCHEDULE, "end_epoch", "before"),
    (SET, {"val": DROP}, "missing", "val", ""),
    (SET, {"end_epoch": -2}, SCHEDULE, "end_epoch", "at least -1"),
    (SET, {"end_epoch": math.nan}, SCHEDULE, "end_epoch", "nan"),
    (SET, {"end_epoch": "x"}, TYPE, "end_epoch", "must be a number"),
    (SET, {"params": None}, TYPE, "params", "got null"),
    (GRAD, {"end_epoch": -1}, SCHEDULE, "end_epoch", "at least 0"),
    (GRAD, {"start_epoch": -1, "end_epoch": -0.5}, SCHEDULE, "end_epoch", "at least 0"),
    (GRAD, {"end_epoch": 0}, SCHEDULE, "end_epoch", "greater than `start_epoch`"),
    (GRAD, {"inter_func": "foo"}, CHOICE, "inter_func", "`linear`"),
    (GRAD, {"update_frequency": "1"}, TYPE, "update_frequency", "without quotes"),
    (GRAD, {"update_frequency": DROP}, "missing", "update_frequency", ""),
]


test_accepts, test_rejects = table_tests(ACCEPT, REJECT)


def test_params_are_normalised():
    assert accept(TRAIN, params="__all_prunable__").params == "__ALL_PRUNABLE__"
    assert accept(TRAIN, params=["a", ["b", ["c"]]]).params == ["a", "b", "c"]
    assert accept(TRAIN, params={"x": 1, "y": 2}).params == ["x", "y"]


def test_trainable_reads_strings_like_sparseml():
    assert accept(TRAIN, trainable="false").trainable is False
    assert accept(TRAIN, trainable="true").trainable is True
    assert accept(TRAIN, trainable="no").trainable is True  # convert_to_bool: no `f`/`0`
    assert accept(SET, params_strict="false").params_strict is True  # plain truthiness


def test_gradual_param_metadata():
    from recipe_studio.models.params import GradualParamModifier, SetParamModifier

    assert "inter_func" in GradualParamModifier.ignored_fields()
    assert set(GradualParamModifier.epoch_fields()) == {
        "start_epoch", "end_epoch", "update_frequency"}
    # SetParam's end_epoch has no effect on the params but counts towards max_epochs
    assert set(SetParamModifier.epoch_fields()) == {"start_epoch", "end_epoch"}
