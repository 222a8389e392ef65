"""`recipe-studio validate PATH...`: what SparseML 1.8 would reject, with positions."""

from __future__ import annotations

from typing import Annotated

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, load_stdin, parse_overrides, print_diagnostics,
    stdin_requested, usage_error,
)
from recipe_studio.cli.options import (
    ColorOption, DiagnosticFormat, DiagnosticFormatOption, JobsOption, QuietOption,
    StdinFilenameOption, TargetOption, VarOption, VarsOption,
)


@app.command()
def validate(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Recipe files (.yaml, .yml, .md), directories to search, or `-` "
                             "for standard input.")],
    format: DiagnosticFormatOption = DiagnosticFormat.text,
    quiet: QuietOption = False,
    var: VarOption = None,
    vars_: VarsOption = None,
    stdin_filename: StdinFilenameOption = None,
    color: ColorOption = None,
    jobs: JobsOption = None,
    target: TargetOption = None,
) -> None:
    """Check recipes the way SparseML 1.8 loads them; report every problem at once.

    Exit code 0 when no recipe has an error, 1 when any has, 2 for usage or I/O errors.
    """
    from recipe_studio.cli import batch
    from recipe_studio.cli.batch import FileResult
    from recipe_studio.cli.discover import discover
    from recipe_studio.read.load import load

    overrides = parse_overrides(var, vars_)
    if target not in (None, "sparseml", "llmcompressor"):
        raise usage_error(f"--target must be `sparseml` or `llmcompressor`, not `{target}`")
    if stdin_requested(paths, stdin_filename):
        recipe = load_stdin(stdin_filename, overrides)
        io_error = recipe.source is None and any(d.code == "RS001" for d in recipe.diagnostics)
        results = [FileResult(recipe.path, recipe.diagnostics,
                              recipe.source.text if recipe.source else None, io_error)]
        files_checked = 1
    else:
        found = discover(paths)
        for path, reason in found.notes:  # skipped in a walked directory: not an error
            typer.echo(f"recipe-studio: note: {path}: {reason}", err=True)
        for path, reason in found.missing:
            typer.echo(f"recipe-studio: error: {path}: {reason}", err=True)
        for d in found.empty_dirs:
            typer.echo(f"recipe-studio: error: no recipe files (.yaml, .yml, .md mentioning a "
                       f"modifier) under `{d}`", err=True)
        if not found.files:
            raise usage_error("no recipe files to check") if not found.missing and not \
                found.empty_dirs else typer.Exit(EXIT_USAGE)

        config_cache: dict = {}

        def check(path: str) -> FileResult:
            import os
            from pathlib import Path

            from recipe_studio.lint.config import discover_config

            # the same start as lint's (no symlink resolution: a loop is reported by load)
            start = Path(os.path.dirname(os.path.abspath(path)))
            cfg = None if target else discover_config(start, config_cache)
            recipe = load(path, overrides=overrides,
                          target=target or (cfg.target if cfg is not None else None))
            return FileResult(path, recipe.diagnostics,
                              recipe.source.text if recipe.source else None,
                              recipe.source is None and any(d.code == "RS001"
                                                            for d in recipe.diagnostics))

        results = batch.run(found.files, check, jobs=jobs)
        io_error = bool(found.missing or found.empty_dirs)
        files_checked = len(found.files)
    diagnostics = [d for r in results for d in r.diagnostics]
    io_error = io_error or any(r.io_error for r in results)
    rules = None
    if format is DiagnosticFormat.sarif:
        from recipe_studio.lint.registry import LOADER_RULES as rules
    print_diagnostics(diagnostics, {r.path: r.text for r in results}, format, color=color,
                      files_checked=files_checked, quiet=quiet, rules=rules)
    if io_error:
        raise typer.Exit(EXIT_USAGE)
    has_error = any(d.severity.value == "error" for d in diagnostics)
    raise typer.Exit(EXIT_PROBLEMS if has_error else EXIT_OK)
