"""Helpers shared by the commands (their options are in options.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import typer

from recipe_studio.cli.options import OutputFormat
# the exit codes are the library's (0 clean, 1 problems, 2 usage or I/O); every command
# takes them from here
from recipe_studio.lint.run import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE  # noqa: F401

if TYPE_CHECKING:
    from recipe_studio.diagnostics import Diagnostic
    from recipe_studio.read.variables import Override


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
    texts: Mapping[str | None, Any],
    fmt: str = OutputFormat.text,
    *,
    stream=None,
    color: bool | None = None,
    files_checked: int | None = None,
    summary: bool = True,
    quiet: bool = False,
    rules: Iterable[Any] | None = None,
) -> None:
    """Report diagnostics in the output format `fmt`, with the renderer the table
    (:data:`recipe_studio.render.report.RENDERERS`) has for it.

    `texts` maps each path to its text (or its Recipe), for the text format's snippets;
    `rules` (default: every rule) are the rule metadata SARIF carries.
    """
    from recipe_studio.render.report import Report, render_report

    report = Report(diagnostics, lines_of=_lines_of(texts), files_checked=files_checked,
                    summary=summary, quiet=quiet, color=color, rules=rules)
    render_report(fmt, report, stream or sys.stdout)


def _lines_of(texts: Mapping[str | None, Any]) -> Callable[[str | None], Any]:
    """path → a line getter for its text (made on first use); None when the text is unknown."""
    getters: dict[str | None, object] = {}

    def lines_of(path: str | None):
        if path not in getters:
            from recipe_studio.cli.batch import lines_getter

            value = texts.get(path)
            source = getattr(value, "source", None)  # a Recipe is accepted too
            if source is not None:
                value = source.text
            getters[path] = lines_getter(value if isinstance(value, str) else None)
        return getters[path]

    return lines_of


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
