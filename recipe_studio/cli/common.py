"""Helpers shared by the commands (their options are in options.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import typer

# the shared options live in options.py; these names stay importable from here
from recipe_studio.cli.options import (  # noqa: F401
    ColorOption, DiagnosticFormat, JobsOption, VarOption, VarsOption,
)

if TYPE_CHECKING:
    from recipe_studio.diagnostics import Diagnostic
    from recipe_studio.read.variables import Override

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def usage_error(message: str) -> typer.Exit:
    sys.stderr.write(f"recipe-studio: error: {message}\n")
    return typer.Exit(EXIT_USAGE)


def parse_overrides(var: Sequence[str] | None, vars_: str | None) -> list[Override]:
    """--var/--vars → overrides; a malformed one is a usage error (exit 2)."""
    from recipe_studio.read.variables import parse_var_option, parse_vars_option

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
    quiet: bool = False,
    rules: Iterable[Any] | None = None,
) -> None:
    """Report diagnostics in one of the diagnostic formats.

    The human formats (text, concise) end with the summary line; with `quiet` they print
    only that line. The machine formats (json, github, sarif) always print everything.
    `rules` (default: every rule) are the rule metadata SARIF carries.
    """
    stream = stream or sys.stdout
    if fmt is DiagnosticFormat.json:
        from recipe_studio.render import render_json

        render_json(diagnostics, stream)
        return
    if fmt is DiagnosticFormat.github:
        from recipe_studio.render.ci import render_github

        render_github(diagnostics, stream)
        return
    if fmt is DiagnosticFormat.sarif:
        from recipe_studio import __version__
        from recipe_studio.render.ci import render_sarif

        if rules is None:
            from recipe_studio.lint.registry import ALL_RULES as rules
        render_sarif(diagnostics, stream, rules, version=__version__)
        return
    if quiet:
        from recipe_studio.render.text import summary_line

        if summary:
            stream.write(summary_line(diagnostics, files_checked) + "\n")
        return
    if fmt is DiagnosticFormat.concise:
        from recipe_studio.render.text import render_concise

        render_concise(diagnostics, stream, summary=summary, files_checked=files_checked)
        return
    from recipe_studio.cli.batch import lines_getter
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


def stdin_requested(paths: Sequence[str], stdin_filename: str | None) -> bool:
    """Whether the command reads its one recipe from `-`; a usage error (exit 2) when `-` is
    mixed with other paths or `--stdin-filename` comes without `-`."""
    from recipe_studio.cli.options import STDIN

    if STDIN not in paths:
        if stdin_filename is not None:
            raise usage_error("`--stdin-filename` names the recipe read from standard input; "
                              "pass `-` as the path")
        return False
    if len(paths) > 1:
        raise usage_error("`-` (standard input) cannot be combined with other paths")
    return True


def load_stdin(stdin_filename: str | None, overrides: Sequence[Override] = ()) -> Any:
    """The Recipe read from standard input (problems reading it are its diagnostics)."""
    from recipe_studio.read.load import load
    from recipe_studio.read.recipe import Recipe
    from recipe_studio.read.source import SourceError, read_stdin

    try:
        source = read_stdin(stdin_filename)
    except SourceError as e:
        return Recipe(source=None, diagnostics=[e.diagnostic])
    return load(source, overrides=overrides)
