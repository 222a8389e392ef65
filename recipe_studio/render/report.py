"""Diagnostics in each output format: the one table the commands pick a renderer from.

A command builds a :class:`Report` (the diagnostics and what the formats need besides) and
calls :func:`render_report` with the `--format` name; :data:`RENDERERS` maps each name to
its renderer. The human formats (text, concise) end with the summary line, and with
`quiet` print only that line; the machine formats (json, github, sarif) always print
everything. Renderers write to the stream they are given and never decide exit codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from recipe_studio.diagnostics import Diagnostic

#: a line getter for a path (line number → text), or None when the text is unknown
LinesOf = Callable[[str | None], Callable[[int], str] | None]


@dataclass
class Report:
    diagnostics: Sequence[Diagnostic]
    #: the source lines of each path, for the text format's snippets
    lines_of: LinesOf = lambda path: None
    #: how many files were checked (the summary line names it when given)
    files_checked: int | None = None
    summary: bool = True
    quiet: bool = False
    color: bool | None = None
    #: the rule metadata SARIF carries (None: every rule)
    rules: Iterable[Any] | None = None


def _text(report: Report, stream: IO[str]) -> None:
    from recipe_studio.render.text import render

    if report.quiet:
        _summary_only(report, stream)
        return
    render(report.diagnostics, stream, lines_of=report.lines_of, color=report.color,
           files_checked=report.files_checked, summary=report.summary)


def _concise(report: Report, stream: IO[str]) -> None:
    from recipe_studio.render.text import render_concise

    if report.quiet:
        _summary_only(report, stream)
        return
    render_concise(report.diagnostics, stream, summary=report.summary,
                   files_checked=report.files_checked)


def _summary_only(report: Report, stream: IO[str]) -> None:
    from recipe_studio.render.text import summary_line

    if report.summary:
        stream.write(summary_line(report.diagnostics, report.files_checked) + "\n")


def _json(report: Report, stream: IO[str]) -> None:
    from recipe_studio.render import render_json

    render_json(report.diagnostics, stream)


def _github(report: Report, stream: IO[str]) -> None:
    from recipe_studio.render.ci import render_github

    render_github(report.diagnostics, stream)


def _sarif(report: Report, stream: IO[str]) -> None:
    from recipe_studio import __version__
    from recipe_studio.render.ci import render_sarif

    rules = report.rules
    if rules is None:
        from recipe_studio.lint.registry import ALL_RULES as rules
    render_sarif(report.diagnostics, stream, rules, version=__version__)


#: `--format` name → renderer (the names are values of `cli.options.OutputFormat`)
RENDERERS: dict[str, Callable[[Report, IO[str]], None]] = {
    "text": _text, "concise": _concise, "json": _json, "github": _github, "sarif": _sarif,
}


def render_report(fmt: str, report: Report, stream: IO[str]) -> None:
    """Write `report` to `stream` in the format named `fmt` (a key of :data:`RENDERERS`)."""
    RENDERERS[getattr(fmt, "value", fmt)](report, stream)
