"""`recipe-studio format PATH...`: rewrite recipes in the canonical layout."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, stdin_requested, usage_error,
)
from recipe_studio.cli.options import (
    DiffOption, ForceOption, StdinFilenameOption, TargetOption, quiet_option,
)


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
    from recipe_studio.cli.discover import discover
    from recipe_studio.lint.fix import unified_diff
    from recipe_studio.transform.format import FormatError, format_file, write
    from recipe_studio.io import write_error_message
    from recipe_studio.read.source import read_source

    from recipe_studio.cli.stage_support import check_target, target_for

    check_target(target)
    if stdin_requested(paths, stdin_filename):
        _format_stdin(stdin_filename, check=check, diff=diff, target=target_for(None, target))
    found = discover(paths)
    failed = False
    for path, reason in found.notes:  # skipped in a walked directory: not an error
        typer.echo(f"recipe-studio: note: {path}: {reason}", err=True)
    for path, reason in found.missing:
        typer.echo(f"recipe-studio: error: {path}: {reason}", err=True)
        failed = True
    for d in found.empty_dirs:
        typer.echo(f"recipe-studio: error: no recipe files under `{d}`", err=True)
        failed = True
    changed, unchanged, unwritten = [], 0, 0
    for path in found.files:
        try:
            result = format_file(path, target=target_for(path, target))
        except FormatError as e:
            typer.echo(f"recipe-studio: error: cannot format {path}: {e.message}", err=True)
            failed = True
            continue
        if not result.changed:
            unchanged += 1
            continue
        if check or diff:
            changed.append(path)
        if check:
            typer.echo(f"would reformat {path}")
        elif diff:
            before = read_source(path).text
            sys.stdout.write(unified_diff(path, before, result.text.lstrip("\ufeff")
                                          .replace("\r\n", "\n").replace("\r", "\n")))
        else:
            try:
                write(path, result.text, force=force)
            except OSError as e:  # not counted as reformatted: nothing was written
                typer.echo("recipe-studio: error: "
                           + write_error_message(path, e, force_option="--force"), err=True)
                failed = True
                unwritten += 1
                continue
            changed.append(path)
            if not quiet:
                typer.echo(f"reformatted {path}", err=True)
    if not quiet:
        verb = "would be reformatted" if check or diff else "reformatted"
        n = len(changed)
        # the files that could not be read, formatted or written are counted too, so that
        # the counts add up to the files checked
        broken = len(found.files) - n - unchanged - unwritten
        typer.echo(f"{n} file{'s' if n != 1 else ''} {verb}, {unchanged} already formatted"
                   + (f", {broken} could not be formatted" if broken else "")
                   + (f", {unwritten} could not be written" if unwritten else ""), err=True)
    if failed:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_PROBLEMS if (check or diff) and changed else EXIT_OK)


def _format_stdin(name: str | None, *, check: bool, diff: bool,
                  target: str | None = None) -> None:
    """`format -`: the formatted text on stdout (with --check nothing, with --diff a diff)."""
    from recipe_studio.lint.fix import unified_diff
    from recipe_studio.transform.format import FormatError, format_text
    from recipe_studio.read.source import SourceError, read_stdin

    try:
        source = read_stdin(name)
    except SourceError as e:
        raise usage_error(f"{e.diagnostic.path}: {e.diagnostic.message}") from None
    original = source.original
    assert original is not None
    try:
        new = format_text(original, path=source.path, target=target)
    except FormatError as e:
        raise usage_error(f"cannot format {source.path}: {e.message}") from None
    changed = new != original
    if check:
        if changed:
            typer.echo(f"would reformat {source.path}")
    elif diff:
        sys.stdout.write(unified_diff(source.path or "-", source.text,
                                      new.lstrip("\ufeff").replace("\r\n", "\n")))
    else:
        sys.stdout.write(new)
    raise typer.Exit(EXIT_PROBLEMS if (check or diff) and changed else EXIT_OK)
