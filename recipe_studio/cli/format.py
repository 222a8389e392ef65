"""`recipe-studio format PATH...`: rewrite recipes in the canonical layout."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_OK, EXIT_PROBLEMS, stdin_requested, usage_error,
)
from recipe_studio.cli.options import (
    DiffOption, ForceOption, StdinFilenameOption, TargetOption, quiet_option,
)

if TYPE_CHECKING:
    from recipe_studio.transform.format_files import FileOutcome, FormatMode, FormatRun


@app.command("format")
def format_(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Recipe files, directories, or `-` to format standard input "
                             "to standard output.")],
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; exit 1 if any file would change, and list them.")
    ] = False,
    diff: DiffOption = False,
    quiet: Annotated[bool, quiet_option("Print only errors.")] = False,
    force: ForceOption = False,
    stdin_filename: StdinFilenameOption = None,
    target: TargetOption = None,
) -> None:
    """Canonical layout: 2-space indentation, fields in SparseML's order, float epochs.

    Comments, anchors, quotes and Markdown prose are kept, and a file is only rewritten
    when SparseML would read exactly the same recipe from the result. Exit 0 when done (or,
    with --check, nothing would change), 1 when --check finds files to reformat, 2 when a
    file cannot be read, formatted or written (read-only and hard-linked files are refused
    unless --force; symbolic links are written through to their target). Stage recipes:
    each modifier's arguments in the order of its model for the target library.
    """
    from recipe_studio.cli.discover import discover_reported
    from recipe_studio.transform.format_files import FormatMode, format_files

    from recipe_studio.cli.stage_support import check_target, stubs_for, target_for

    check_target(target)
    if stdin_requested(paths, stdin_filename):
        from recipe_studio.stubs import using

        with using(stubs_for(stdin_filename)):
            _format_stdin(stdin_filename, check=check, diff=diff,
                          target=target_for(None, target))
    found = discover_reported(paths)
    mode = FormatMode.CHECK if check else FormatMode.DIFF if diff else FormatMode.WRITE
    run = format_files(found.files, mode, force=force,
                       on_file=lambda outcome: _say(outcome, mode, quiet),
                       target_of=lambda path: target_for(path, target), stubs_of=stubs_for)
    if not quiet:
        _summary(run)
    raise typer.Exit(run.exit_code(discovery_failed=found.failed))


def _say(outcome: FileOutcome, mode: FormatMode, quiet: bool) -> None:
    """What happened to a file, as soon as it is done."""
    from recipe_studio.transform.format_files import FormatMode

    if outcome.error:
        typer.echo(f"recipe-studio: error: {outcome.error}", err=True)
    elif outcome.status != "changed":
        return
    elif outcome.diff is not None:
        sys.stdout.write(outcome.diff)
    elif mode is FormatMode.CHECK:
        typer.echo(f"would reformat {outcome.path}")
    elif mode is FormatMode.WRITE and not quiet:
        typer.echo(f"reformatted {outcome.path}", err=True)


def _summary(run: FormatRun) -> None:
    """`2 files reformatted, 1 already formatted`: the files that could not be read,
    formatted or written are counted too, so that the counts add up to the files checked."""
    from recipe_studio.transform.format_files import FormatMode

    verb = "reformatted" if run.mode is FormatMode.WRITE else "would be reformatted"
    n, unchanged = run.count("changed"), run.count("unchanged")
    broken, unwritten = run.count("unformattable"), run.count("unwritten")
    typer.echo(f"{n} file{'s' if n != 1 else ''} {verb}, {unchanged} already formatted"
               + (f", {broken} could not be formatted" if broken else "")
               + (f", {unwritten} could not be written" if unwritten else ""), err=True)


def _format_stdin(name: str | None, *, check: bool, diff: bool,
                  target: str | None = None) -> None:
    """`format -`: the formatted text on stdout (with --check nothing, with --diff a diff)."""
    from recipe_studio.lint.fix import unified_diff
    from recipe_studio.transform.format import FormatError, format_source
    from recipe_studio.read.source import SourceError, read_stdin

    try:
        source = read_stdin(name)
    except SourceError as e:
        raise usage_error(f"{e.diagnostic.path}: {e.diagnostic.message}") from None
    try:
        result = format_source(source, target=target)
    except FormatError as e:
        raise usage_error(f"cannot format {source.path}: {e.message}") from None
    if check:
        if result.changed:
            typer.echo(f"would reformat {source.path}")
    elif diff:
        sys.stdout.write(unified_diff(source.path or "-", result.before, result.after))
    else:
        sys.stdout.write(result.text)
    raise typer.Exit(EXIT_PROBLEMS if (check or diff) and result.changed else EXIT_OK)
