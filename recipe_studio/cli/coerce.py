"""Option values without pydantic, where typer's answer is known without asking it.

typer 0.29 converts every parameter's value with a pydantic `TypeAdapter` that it builds
for each parameter of the command being run, given or not (~90 ms of a cold start, most of
it importing pydantic and generating the adapters' schemas). For the values a command line
actually carries, the answer is known beforehand: an option left out is `None` (or `()`), a
`str` stays the same `str`, a `list[str]` argument becomes the list of its strings, a flag is
already a `bool`, a default of the annotated type is returned as it is, a choice is the
member (Enum or Literal) `typer._param_types.coerce_cli_choice` finds, an `int` written in plain digits is
that int. :class:`LazyRuntimeParam` answers those itself and hands everything else -- any
value it is not sure about, every error, files, paths, custom parsers -- to typer's own
runtime parameter, built then, so that messages and results stay typer's.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from typer._coercion import build_runtime_param

_PLAIN_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_MISSING = object()


def _choices(annotation: Any) -> list[Any] | None:
    """The choices of an Enum or Literal annotation, as typer's adapter lists them."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return list(annotation)
    from typer._typing import is_literal_type, literal_values

    if is_literal_type(annotation):
        return list(literal_values(annotation))
    return None


class LazyRuntimeParam:
    """Stands in for typer's `RuntimeParam` of one parameter (see the module docstring)."""

    __slots__ = ("descriptor", "_real")

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        self._real = None

    def real(self) -> Any:
        if self._real is None:
            self._real = build_runtime_param(self.descriptor)
        return self._real

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:  # what RuntimeParam.coerce answers without its adapter
            return () if (param.multiple or param.nargs == -1) else None
        fast = self._fast(value, param, ctx)
        if fast is not _MISSING:
            return fast
        return self.real().coerce(value, param=param, ctx=ctx)

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        return self.real()._coerce_value(value, param=param, ctx=ctx)

    def _fast(self, value: Any, param: Any, ctx: Any) -> Any:
        d = self.descriptor
        info = d.parameter_info
        if d.file_annotation is not None or info.parser is not None:
            return _MISSING
        annotation = d.annotation
        multi = param.multiple or param.nargs == -1
        if multi:
            if annotation == list[str] and isinstance(value, (list, tuple)) and \
                    all(type(v) is str for v in value):
                return list(value)
            return _MISSING
        if annotation is str:
            return value if type(value) is str else _MISSING
        if annotation is bool:
            return value if type(value) is bool else _MISSING
        choices = _choices(annotation)
        if choices is not None:  # typer's choice adapter: coerce_cli_choice, then Any
            from typer._param_types import coerce_cli_choice

            try:
                return coerce_cli_choice(value, choices=choices,
                                         case_sensitive=info.case_sensitive, ctx=ctx)
            except Exception:  # typer says why, in its words
                return _MISSING
        if annotation is int or annotation is float:
            if info.clamp:
                return _MISSING
            if annotation is int and type(value) is str and _PLAIN_INT.fullmatch(value):
                number: Any = int(value)
            elif type(value) is annotation:
                number = value
            else:
                return _MISSING
            if info.min is not None and not number >= info.min:
                return _MISSING
            if info.max is not None and not number <= info.max:
                return _MISSING
            return number
        return _MISSING


def get_runtime_param(self: Any) -> Any:
    """`_TyperParameter.get_runtime_param` through :class:`LazyRuntimeParam`: assign it in
    the class body of a typer parameter class (`get_runtime_param = get_runtime_param`)."""
    if self._runtime_param is None:
        self._runtime_param = LazyRuntimeParam(self.type_descriptor)
    return self._runtime_param
