"""The formatters of `recipe_studio.numbers`: where two outputs write the same value
differently, both ways are pinned here (the golden files, docs and editor tests rely on
them byte for byte)."""

from __future__ import annotations

import pytest

from recipe_studio import numbers


@pytest.mark.parametrize(("value", "message", "whole", "short"), [
    (30.0, "30", "30", "30"),
    (2.5, "2.5", "2.5", "2.5"),
    (-1.0, "-1", "-1", "-1"),
    (33.333333, "33.3333", "33.3333", "33.33"),
    (1e6, "1e+06", "1000000", "1000000"),
    (0.123456789, "0.123457", "0.123457", "0.1235"),
])
def test_the_three_epoch_formats(value: float, message: str, whole: str, short: str) -> None:
    assert numbers.epoch(value) == message        # lint messages, hover
    assert numbers.epoch_whole(value) == whole    # schedule crash messages and notes
    assert numbers.epoch_short(value) == short    # show's table, plot's labels


def test_non_numbers() -> None:
    assert numbers.epoch_whole(None) == "None"
    assert numbers.epoch_short("x") == "x"
    assert numbers.number_or_repr(10 ** 400) == repr(10 ** 400)
    assert numbers.number_or_repr("a") == "'a'"


def test_schedule_view() -> None:
    assert numbers.value(1e-05) == "1e-05" and numbers.value(3) == "3"
    assert numbers.learning_rate(None) == "-" and numbers.learning_rate(0.000123456) == "0.0001235"
    assert numbers.sparsity((0.5, 0.85)) == "0.500|0.850" and numbers.sparsity(None) == "-"
    assert numbers.step_count(1) == "1 step" and numbers.step_count(10) == "10 steps"


def test_any_value() -> None:
    assert numbers.as_written(30.0) == "30.0" and numbers.as_written("cubic") == "'cubic'"
    assert numbers.as_written(True) == "true" and numbers.as_written(None) == "None"
    assert numbers.yaml_value(None) == "null" and numbers.yaml_value("cubic") == "cubic"
    assert numbers.yaml_value("x" * 200) == "x" * 117 + "..."
    assert numbers.rounded_value(None) == "-"
    assert numbers.rounded_value({0.9: [1 / 3, True]}) == "{0.9: [0.333333, true]}"


@pytest.mark.parametrize(("value", "text"), [
    (30, "30.0"), (1e-05, "1.0e-05"), (1e20, "1.0e+20"), (float("inf"), ".inf"),
    (float("-inf"), "-.inf"), (float("nan"), ".nan"), (0.1, "0.1"),
])
def test_yaml_float(value: float, text: str) -> None:
    assert numbers.yaml_float(value) == text
