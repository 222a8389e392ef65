"""Learning-rate modifiers (sparseml-recipes.md §5.2) — cases observed in SparseML 1.8."""

from __future__ import annotations

import math

from recipe_studio.models.base import CHOICE, RANGE, SCHEDULE, TYPE

from .util import DROP, accept, reject, table_tests

SET = "SetLearningRateModifier"
FUNC = "LearningRateFunctionModifier"
LR = "LearningRateModifier"

ACCEPT = [
    (SET, {}),
    (SET, {"learning_rate": "0.5"}),
    (SET, {"learning_rate": "1e-3"}),  # numeric strings are converted with float()
    (SET, {"learning_rate": 1}),
    (SET, {"learning_rate": True}),
    (SET, {"learning_rate": math.nan}),
    (SET, {"end_epoch": "abc"}),  # ignored: replaced by -1
    (SET, {"end_epoch": -5}),
    (SET, {"start_epoch": "2"}),
    (SET, {"param_groups": "x"}),  # only used at train
    (SET, {"constant_logging": [1]}),
    (FUNC, {}),
    (FUNC, {"lr_func": "cosine"}),
    (FUNC, {"lr_func": "cyclic_linear", "cycle_epochs": -1}),  # the >0 check never runs
    (FUNC, {"init_lr": "1e-3"}),
    (FUNC, {"init_lr": 0, "final_lr": 1}),
    (FUNC, {"init_lr": True, "final_lr": False}),
    (FUNC, {"init_lr": math.nan}),
    (FUNC, {"cycle_epochs": "x"}),
    (FUNC, {"update_frequency": "x"}),  # ignored
    (FUNC, {"start_epoch": "1"}),
    (FUNC, {"start_epoch": -1, "end_epoch": 0.001}),
    (LR, {}),
    (LR, {"lr_class": "ExponentialLR", "lr_kwargs": {"gamma": 0.9}}),
    (LR, {"lr_class": "MultiStepLR", "lr_kwargs": {"gamma": 0.9, "milestones": [1]}}),
    (LR, {"lr_class": "CosineAnnealingWarmRestarts",
          "lr_kwargs": {"lr_min": 0.0, "cycle_epochs": 1}}),
    (LR, {"lr_kwargs": ["gamma", "step_size"]}),  # only `in` is tested at load
    (LR, {"lr_kwargs": "gamma step_size"}),
    (LR, {"lr_kwargs": {"gamma": 0.1, "step_size": 1, "unknown": 1}}),  # fails at train
    (LR, {"start_epoch": True}),
    (LR, {"start_epoch": -1, "end_epoch": -1}),
    (LR, {"init_lr": "0.5"}),
    (LR, {"update_frequency": "x"}),
    (LR, {"constant_logging": None}),
]

REJECT = [
    (SET, {"learning_rate": DROP}, "missing", "learning_rate", ""),
    (SET, {"learning_rate": None}, TYPE, "learning_rate", "got null"),
    (SET, {"learning_rate": 0}, RANGE, "learning_rate", "greater than 0"),
    (SET, {"learning_rate": 1.5}, RANGE, "learning_rate", "at most 1"),
    (SET, {"learning_rate": "x"}, TYPE, "learning_rate", "must be a number"),
    (SET, {"learning_rate": [0.1]}, TYPE, "learning_rate", "a list"),
    (SET, {"start_epoch": -2}, SCHEDULE, "start_epoch", "at least -1"),
    (FUNC, {"lr_func": "LINEAR"}, CHOICE, "lr_func", "`linear`, `cosine`, `cyclic_linear`"),
    (FUNC, {"lr_func": ["linear"]}, CHOICE, "lr_func", "a list"),
    (FUNC, {"init_lr": None}, TYPE, "init_lr", "got null"),
    (FUNC, {"init_lr": []}, TYPE, "init_lr", "a list"),
    (FUNC, {"init_lr": [0.5]}, TYPE, "init_lr", "a list"),
    (FUNC, {"init_lr": "x"}, TYPE, "init_lr", "must be a number"),
    (FUNC, {"final_lr": 1.5}, RANGE, "final_lr", "within [0, 1]"),
    (FUNC, {"final_lr": -0.1}, RANGE, "final_lr", "within [0, 1]"),
    (FUNC, {"end_epoch": 0}, SCHEDULE, "end_epoch", "greater than `start_epoch`"),
    (FUNC, {"end_epoch": -1}, SCHEDULE, "end_epoch", "greater than `start_epoch`"),
    (FUNC, {"start_epoch": DROP}, "missing", "start_epoch", ""),
    (LR, {"lr_class": "cosine"}, CHOICE, "lr_class", "`StepLR`"),
    (LR, {"lr_kwargs": None}, TYPE, "lr_kwargs", "got null"),
    (LR, {"lr_kwargs": 5}, TYPE, "lr_kwargs", "an integer"),
    (LR, {"lr_kwargs": {"gamma": 1}}, CHOICE, "lr_kwargs", "missing `step_size`"),
    (LR, {"lr_class": "ExponentialLR", "lr_kwargs": ["gamma"]}, TYPE, "lr_kwargs",
     "must be a mapping"),
    (LR, {"lr_class": "ExponentialLR", "lr_kwargs": {}}, CHOICE, "lr_kwargs",
     "missing `gamma`"),
    (LR, {"lr_class": "MultiStepLR", "lr_kwargs": {"gamma": 0.9}}, CHOICE, "lr_kwargs",
     "missing `milestones`"),
    (LR, {"lr_class": "CosineAnnealingWarmRestarts", "lr_kwargs": {"lr_min": 0.0}}, CHOICE,
     "lr_kwargs", "missing `cycle_epochs`"),
    # math.floor(start_epoch) on the raw value
    (LR, {"start_epoch": "1"}, TYPE, "start_epoch", "math.floor"),
    (LR, {"start_epoch": math.inf}, RANGE, "start_epoch", "finite"),
    (LR, {"start_epoch": math.nan}, RANGE, "start_epoch", "finite"),
    (LR, {"init_lr": 0}, RANGE, "init_lr", "greater than 0"),
    (LR, {"start_epoch": 5, "end_epoch": 4}, SCHEDULE, "end_epoch", "before"),
]


test_accepts, test_rejects = table_tests(ACCEPT, REJECT)


def test_conversions_and_effective_end():
    spec = accept(SET, learning_rate="1e-3", end_epoch=7)
    assert spec.learning_rate == 0.001
    assert spec.effective_end_epoch == -1.0
    assert "end_epoch" in spec.ignored_fields()
    func = accept(FUNC, init_lr="0.05")
    assert func.init_lr == 0.05


def test_lr_kwargs_epoch_keys_and_choice_help():
    from recipe_studio.models.learning_rate import LearningRateModifier

    extra = LearningRateModifier.model_fields["lr_kwargs"].json_schema_extra
    assert extra == {"x-epoch-keys": ["step_size", "milestones", "cycle_epochs"]}
    err = reject(LR, lr_class="StepLr")
    assert err["ctx"]["help"] == "did you mean `StepLR`?"
