"""`recipe-studio validate PATH...`: what SparseML 1.8 would reject, with positions."""

from __future__ import annotations

from typing import Annotated

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_USAGE, load_stdin, parse_overrides, print_diagnostics, stdin_requested, usage_error,
)
from recipe_studio.cli.options import (
    STDIN, ColorOption, DiagnosticFormatOption, JobsOption, OutputFormat, QuietOption,
    StageOption, StdinFilenameOption, TargetOption, VarOption, VarsOption,
)


@app.command()
def validate(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Recipe files (.yaml, .yml, .md), directories to search, or `-` "
                             "for standard input.")],
    format: DiagnosticFormatOption = OutputFormat.text,
    quiet: QuietOption = False,
    var: VarOption = None,
    vars_: VarsOption = None,
    stdin_filename: StdinFilenameOption = None,
    color: ColorOption = None,
    jobs: JobsOption = None,
    target: TargetOption = None,
    stage: StageOption = None,
) -> None:
    """Check recipes the way SparseML 1.8 loads them; report every problem at once.

    Exit code 0 when no recipe has an error, 1 when any has, 2 for usage or I/O errors.
    """
    from functools import partial

    from recipe_studio.cli import batch
    from recipe_studio.cli.discover import Discovery, discover_reported
    from recipe_studio.lint.run import RunOptions, check_files

    options = RunOptions(overrides=parse_overrides(var, vars_), target=target,
                         target_stage=stage)
    if target not in (None, "sparseml", "llmcompressor"):
        raise usage_error(f"--target must be `sparseml` or `llmcompressor`, not `{target}`")
    stdin = None
    if stdin_requested(paths, stdin_filename):
        stdin = load_stdin(stdin_filename, options.overrides)
        found = Discovery(files=[STDIN])
    else:
        found = discover_reported(paths, scripts=True)
    if not found.files:
        raise typer.Exit(EXIT_USAGE)
    from recipe_studio.cli.stage_support import check_stage_files
    from recipe_studio.lint.errors import ConfigError

    try:  # a configuration found beside a recipe (`target`, `modifier-stubs`) may be broken
        check_stage_files(found.files, options, stdin)
        result = check_files(found.files, options, stdin=stdin, discovery_failed=found.failed,
                             map_files=partial(batch.run, jobs=jobs))
    except ConfigError as e:
        raise usage_error(str(e)) from None
    rules = None
    if format is OutputFormat.sarif:
        from recipe_studio.lint.registry import LOADER_RULES as rules
    print_diagnostics(result.diagnostics, result.texts, format, color=color,
                      files_checked=result.files_checked, quiet=quiet, rules=rules)
    raise typer.Exit(result.exit_code())
