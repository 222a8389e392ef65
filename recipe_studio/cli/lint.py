"""`recipe-studio lint PATH...`: validate plus the semantic rules, with fixes and CI formats."""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_USAGE, load_stdin, parse_overrides, print_diagnostics, stdin_requested, usage_error,
)
from recipe_studio.cli.options import (
    STDIN, ColorOption, DiagnosticFormatOption, DiffOption, JobsOption, OutputFormat,
    QuietOption, StageOption, StdinFilenameOption, StepsPerEpochOption, TargetOption,
    VarOption, VarsOption, model_option, output_option,
)

if TYPE_CHECKING:
    from recipe_studio.lint.engine import LintSettings
    from recipe_studio.lint.run import FileResult, RunOptions, RunResult

Selectors = Optional[list[str]]


def _split(values: Selectors) -> list[str] | None:
    if values is None:
        return None
    return [s.strip() for v in values for s in v.split(",") if s.strip()]


def _selectors(flag: str, what: str) -> typer.models.OptionInfo:
    return typer.Option(flag, metavar="RULES",
                        help=f"{what}: codes, prefixes (RS4), names, families or ALL, "
                             "comma-separated or repeated.")


@app.command()
def lint(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Recipe files, directories, or `-` for standard input.")],
    select: Annotated[Selectors, _selectors("--select", "Only these rules")] = None,
    extend_select: Annotated[Selectors, _selectors(
        "--extend-select", "Add these rules to the selection")] = None,
    ignore: Annotated[Selectors, _selectors("--ignore", "Skip these rules")] = None,
    format: DiagnosticFormatOption = OutputFormat.text,
    quiet: QuietOption = False,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes in place.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="With --fix: write even read-only files (their mode is kept) or into "
                        "read-only directories, and write hard-linked files in place (every "
                        "link gets the new text; that write is not atomic).")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="Also apply fixes that may change behaviour.")] = False,
    diff: DiffOption = False,
    model: Annotated[Optional[str], model_option("enables the model-aware rules")] = None,
    steps_per_epoch: StepsPerEpochOption = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 on any diagnostic, not only errors.")] = False,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit 0 even when rules report errors; a recipe with a load error "
                            "(one `validate` rejects) still exits 1.")] = False,
    config: Annotated[Optional[str], typer.Option(
        "--config", metavar="FILE",
        help="Use this configuration file instead of discovering one.")] = None,
    isolated: Annotated[bool, typer.Option(
        "--isolated", help="Ignore configuration files.")] = False,
    output: Annotated[Optional[str], output_option(
        "Write the report to this file instead of standard output.")] = None,
    var: VarOption = None,
    vars_: VarsOption = None,
    stdin_filename: StdinFilenameOption = None,
    color: ColorOption = None,
    jobs: JobsOption = None,
    target: TargetOption = None,
    stage: StageOption = None,
) -> None:
    """Find what SparseML lets through: schedule, pruning, QAT and LR mistakes, and more.

    Exit code 0 when clean, 1 when any error (any diagnostic with --strict), 2 for usage,
    configuration or I/O errors. Never lower than `validate`'s on the same files: load
    errors are always reported and always exit 1, also with --exit-zero, --ignore,
    --select, configuration and suppression comments.
    """
    from recipe_studio.lint.run import RunOptions

    options = RunOptions(overrides=parse_overrides(var, vars_), target=target,
                         target_stage=stage, fix=fix,
                         unsafe_fixes=unsafe_fixes, diff=diff, force=force,
                         settings=_settings(select, extend_select, ignore, steps_per_epoch,
                                            isolated, config, model))
    result = _run(paths, options, stdin_filename, jobs)
    if diff:
        sys.stdout.write("".join(result.diffs))
    else:
        _report(result, format, output=output, color=color, quiet=quiet)
    raise typer.Exit(result.exit_code(strict=strict, exit_zero=exit_zero))


def _settings(select: Selectors, extend_select: Selectors, ignore: Selectors,
              steps_per_epoch: int | None, isolated: bool, config: str | None,
              model: str | None) -> LintSettings:
    """The rule selection, configuration and model of the command line; a bad one is a
    usage error (exit 2)."""
    from pathlib import Path

    from recipe_studio.lint.config import (ConfigError, check_selector, check_suppressible,
                                            load_config_file)
    from recipe_studio.lint.engine import LintSettings

    settings = LintSettings(select=_split(select), extend_select=_split(extend_select) or [],
                            ignore=_split(ignore) or [], steps_per_epoch=steps_per_epoch,
                            isolated=isolated)
    try:
        for sel in [*(settings.select or []), *settings.extend_select, *settings.ignore]:
            check_selector(sel, "the command line")
        for sel in settings.ignore:
            check_suppressible(sel, "`--ignore`")
        if config:
            settings.config = load_config_file(Path(config))
    except ConfigError as e:
        raise usage_error(str(e)) from None
    if model:
        from recipe_studio.lint.modelinfo import ModelError, read_model

        try:
            settings.model = read_model(model)
        except ModelError as e:
            raise usage_error(str(e)) from None
    return settings


def _run(paths: list[str], options: RunOptions, stdin_filename: str | None,
         jobs: int | None) -> RunResult:
    """Discover the files (or read standard input) and check them; exit 2 when there is
    nothing to check or the configuration is broken."""
    from functools import partial

    from recipe_studio.cli import batch
    from recipe_studio.cli.discover import Discovery, discover_reported
    from recipe_studio.lint.config import ConfigError
    from recipe_studio.lint.run import check_files

    stdin = None
    if stdin_requested(paths, stdin_filename):
        if options.fix:
            raise usage_error("`--fix` writes files; for standard input use `--diff`")
        stdin = load_stdin(stdin_filename, options.overrides)
        found = Discovery(files=[STDIN])
    else:
        found = discover_reported(paths, scripts=True)
    if not found.files:
        raise typer.Exit(EXIT_USAGE)
    from recipe_studio.cli.stage_support import check_stage_files

    try:
        check_stage_files(found.files, options, stdin)
        return check_files(found.files, options, stdin=stdin, discovery_failed=found.failed,
                           map_files=partial(batch.run, jobs=jobs), on_fixed=_say_fixed)
    except ConfigError as e:
        raise usage_error(str(e)) from None
    except OSError as e:
        raise usage_error(f"cannot write: {e.strerror or e}") from None


def _say_fixed(r: FileResult) -> None:
    """What --fix did to a file, as soon as it is done."""
    if r.write_error:
        typer.echo(f"recipe-studio: error: {r.write_error}", err=True)
    elif r.fixed:
        typer.echo(f"fixed {r.fixed} problem{'s' if r.fixed != 1 else ''} in {r.path}",
                   err=True)


def _report(result: RunResult, format: OutputFormat, *, output: str | None,
            color: bool | None, quiet: bool) -> None:
    """The diagnostics in `format`, on stdout or written whole (atomically) to `output`."""
    from recipe_studio.lint.registry import ALL_RULES

    stream = io.StringIO() if output else sys.stdout
    print_diagnostics(result.diagnostics, result.texts, format, stream=stream,
                      color=color if output is None else False,
                      files_checked=result.files_checked, quiet=quiet, rules=ALL_RULES)
    if output:
        from recipe_studio.io import atomic_write

        try:
            atomic_write(output, stream.getvalue())
        except OSError as e:
            raise usage_error(f"cannot write `{output}`: {e.strerror or e}") from None
