"""Options and helpers shared by the commands."""

from __future__ import annotations

import enum
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from recipe_studio.diagnostics import Diagnostic
    from recipe_studio.variables import Override

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

VarOption = Annotated[
    Optional[list[str]],
    typer.Option("--var", metavar="NAME=VALUE",
                 help="Override a recipe variable (repeatable). VALUE becomes a number when "
                      "it parses as one, as in SparseML's recipe_args."),
]
VarsOption = Annotated[
    Optional[str],
    typer.Option("--vars", metavar="JSON",
                 help="Override several variables: a JSON object (or SparseML's "
                      "key=value,key=value form)."),
]
JobsOption = Annotated[
    Optional[int],
    typer.Option("--jobs", "-j", min=1, help="Worker processes for many files "
                 "(default: one per CPU when there are enough files)."),
]
ColorOption = Annotated[
    Optional[bool],
    typer.Option("--color/--no-color", help="Force or disable colours (default: on a terminal)."),
]


class DiagnosticFormat(str, enum.Enum):
    text = "text"
    concise = "concise"
    json = "json"


def usage_error(message: str) -> typer.Exit:
    sys.stderr.write(f"recipe-studio: error: {message}\n")
    return typer.Exit(EXIT_USAGE)


def parse_overrides(var: Sequence[str] | None, vars_: str | None) -> list[Override]:
    """--var/--vars → overrides; a malformed one is a usage error (exit 2)."""
    from recipe_studio.variables import parse_var_option, parse_vars_option

    out = []
    try:
        if vars_:
            out.extend(parse_vars_option(vars_))
        for item in var or ():
            out.append(parse_var_option(item))
    except ValueError as e:
        raise usage_error(str(e)) from None
    return out


def print_diagnostics(
    diagnostics: Sequence[Diagnostic],
    texts: dict[str | None, Any],
    fmt: DiagnosticFormat,
    *,
    stream=None,
    color: bool | None = None,
    files_checked: int | None = None,
    summary: bool = True,
) -> None:
    stream = stream or sys.stdout
    if fmt is DiagnosticFormat.json:
        from recipe_studio.render import render_json

        render_json(diagnostics, stream)
        return
    if fmt is DiagnosticFormat.concise:
        from recipe_studio.render.text import render_concise

        render_concise(diagnostics, stream)
        return
    from recipe_studio.batch import lines_getter
    from recipe_studio.render.text import render

    getters: dict[str | None, object] = {}

    def lines_of(path: str | None):
        if path not in getters:
            value = texts.get(path)
            source = getattr(value, "source", None)  # a Recipe is accepted too
            if source is not None:
                value = source.text
            getters[path] = lines_getter(value if isinstance(value, str) else None)
        return getters[path]

    render(diagnostics, stream, lines_of=lines_of, color=color, files_checked=files_checked,
           summary=summary)
