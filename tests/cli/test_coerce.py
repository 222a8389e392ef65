"""cli/coerce.py answers option values without pydantic exactly as typer's adapters do.

Every parameter of every command, given values a command line can carry (and some it
cannot), is coerced both ways: by :class:`LazyRuntimeParam` and by typer's own runtime
parameter. Results (value and type) and errors (type and message) must be the same.
"""

from __future__ import annotations

import enum
import typing

import pytest
import typer.main
from typer._click import Context

from recipe_studio.cli import app, load_commands
from recipe_studio.cli.coerce import LazyRuntimeParam
from typer._coercion import build_runtime_param

SAMPLES = [None, (), [], "", " ", "0", "1", "7", "007", "-1", "+3", "1_000", "12", "13",
           "99999999999999999999", "1.5", "1e3", "nan", "inf", "text", "JSON", "json",
           "concise", "yes", "true", "False", ("a", "b"), ["x"], ("1", "2"), 0, 1, 5, -2, 1.0,
           0.5, True, False, b"bytes"]


def _params():
    load_commands([])
    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        for param in command.params:
            yield f"{name}:{param.name}", command, param


def _outcome(fn):
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return ("error", type(e).__name__, str(e))
    return ("value", type(value).__name__, repr(value))  # repr: nan == nan


@pytest.mark.parametrize("label,command,param", list(_params()),
                         ids=[label for label, _, _ in _params()])
def test_lazy_coercion_answers_as_typer(label, command, param):
    ctx = Context(command)
    annotation = param.type_descriptor.annotation
    samples = list(SAMPLES)
    members = list(annotation) if isinstance(annotation, type) and \
        issubclass(annotation, enum.Enum) else list(typing.get_args(annotation))
    samples += members + [getattr(m, "value", m) for m in members] + \
        [str(getattr(m, "value", m)).upper() for m in members]
    for value in samples:
        lazy = _outcome(lambda: LazyRuntimeParam(param.type_descriptor).coerce(
            value, param=param, ctx=ctx))
        real = _outcome(lambda: build_runtime_param(param.type_descriptor).coerce(
            value, param=param, ctx=ctx))
        assert lazy == real, (label, value)


def test_plain_values_need_no_adapter(monkeypatch):
    """The values of an ordinary command line never build typer's pydantic adapter."""
    import recipe_studio.cli.coerce as coerce

    def refuse(descriptor):
        raise AssertionError(f"adapter built for {descriptor.annotation}")

    monkeypatch.setattr(coerce, "build_runtime_param", refuse)
    ctx_values = {"validate": {"paths": ("a.yaml", "b.yaml"), "format": "json", "jobs": "2",
                               "quiet": True, "color": None, "var": ("a=1",)}}
    for label, command, param in _params():
        name, pname = label.split(":")
        value = ctx_values.get(name, {}).get(pname, param.default)
        if value is None or name != "validate":
            continue
        LazyRuntimeParam(param.type_descriptor).coerce(value, param=param, ctx=Context(command))
