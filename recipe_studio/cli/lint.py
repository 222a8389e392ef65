"""`recipe-studio lint PATH...`: validate plus the semantic rules, with fixes and CI formats."""

from __future__ import annotations

import io
import sys
from typing import Annotated, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, load_stdin, parse_overrides, print_diagnostics,
    stdin_requested, usage_error,
)
from recipe_studio.cli.options import (
    STDIN, ColorOption, DiagnosticFormat, DiagnosticFormatOption, DiffOption, JobsOption,
    QuietOption, StdinFilenameOption, StepsPerEpochOption, TargetOption, VarOption,
    VarsOption, model_option, output_option,
)

#: kept for imports from before the formats were shared with `validate`
LintFormat = DiagnosticFormat

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
    format: DiagnosticFormatOption = DiagnosticFormat.text,
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
) -> None:
    """Find what SparseML lets through: schedule, pruning, QAT and LR mistakes, and more.

    Exit code 0 when clean, 1 when any error (any diagnostic with --strict), 2 for usage,
    configuration or I/O errors. Never lower than `validate`'s on the same files: load
    errors are always reported and always exit 1, also with --exit-zero, --ignore,
    --select, configuration and suppression comments.
    """
    from pathlib import Path

    from recipe_studio.cli import batch
    from recipe_studio.read.codes import is_load_error
    from recipe_studio.cli.batch import FileResult
    from recipe_studio.lint.config import (ConfigError, check_selector, check_suppressible,
                                            load_config_file)
    from recipe_studio.cli.discover import discover
    from recipe_studio.lint.fix import fix_text, unified_diff
    from recipe_studio.io import atomic_write, atomic_write_bytes, write_error_message
    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.read.load import load
    from recipe_studio.lint import registry

    overrides = parse_overrides(var, vars_)
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

    stdin_recipe = None
    if stdin_requested(paths, stdin_filename):
        if fix:
            raise usage_error("`--fix` writes files; for standard input use `--diff`")
        from recipe_studio.cli.discover import Discovery

        stdin_recipe = load_stdin(stdin_filename, overrides)
        found = Discovery(files=[STDIN])
    else:
        found = discover(paths)
        for path, reason in found.notes:  # skipped in a walked directory: not an error
            typer.echo(f"recipe-studio: note: {path}: {reason}", err=True)
    for path, reason in found.missing:
        typer.echo(f"recipe-studio: error: {path}: {reason}", err=True)
    for d in found.empty_dirs:
        typer.echo(f"recipe-studio: error: no recipe files under `{d}`", err=True)
    if not found.files:
        raise typer.Exit(EXIT_USAGE)
    io_error = bool(found.missing or found.empty_dirs)

    diffs: list[str] = []

    def relint_text(text: str, src):
        from recipe_studio.read.source import from_text

        return lint_recipe(load(from_text(text, path=src.path, form=src.form),
                                overrides=overrides), settings)

    def check(path: str) -> FileResult:
        recipe = stdin_recipe if path == STDIN else load(
            path, overrides=overrides, target=target or settings.config_for(path).target)
        path = recipe.path or path
        if recipe.source is None:
            return FileResult(path, lint_recipe(recipe, settings), None,
                              any(d.code == "RS001" for d in recipe.diagnostics))
        if fix or diff:
            src = recipe.source
            outcome = fix_text(src.text, lambda t: relint_text(t, src), unsafe=unsafe_fixes,
                               original=src.original)
            if outcome.changed:
                if diff:
                    diffs.append(unified_diff(path, src.text, outcome.text))
                else:
                    try:  # the file's own bytes outside the fixes (line endings, BOM)
                        atomic_write_bytes(path, (outcome.original or outcome.text)
                                           .encode("utf-8"), force=force)
                    except OSError as e:  # nothing written: say which file and why
                        typer.echo("recipe-studio: error: "
                                   + write_error_message(path, e, force_option="--force"),
                                   err=True)
                        return FileResult(path, lint_recipe(recipe, settings), src.text, True)
                    typer.echo(f"fixed {len(outcome.applied)} problem"
                               f"{'s' if len(outcome.applied) != 1 else ''} in {path}", err=True)
                    recipe = load(path, overrides=overrides)
        return FileResult(path, lint_recipe(recipe, settings),
                          recipe.source.text if recipe.source else None)

    try:
        # fixing writes files and collects diffs in this process: no workers then
        results = batch.run(found.files, check, jobs=1 if (fix or diff) else jobs)
    except ConfigError as e:
        raise usage_error(str(e)) from None
    except OSError as e:
        raise usage_error(f"cannot write: {e.strerror or e}") from None
    diagnostics = [d for r in results for d in r.diagnostics]
    io_error = io_error or any(r.io_error for r in results)
    texts = {r.path: r.text for r in results}

    load_errors = any(is_load_error(d) for d in diagnostics)
    if diff:
        sys.stdout.write("".join(diffs))
        if io_error:
            raise typer.Exit(EXIT_USAGE)
        raise typer.Exit(EXIT_PROBLEMS if diffs or load_errors else EXIT_OK)
    # a report for a file is written whole (atomically), never in part
    stream = io.StringIO() if output else sys.stdout
    print_diagnostics(diagnostics, texts, format, stream=stream,
                      color=color if output is None else False,
                      files_checked=len(found.files), quiet=quiet, rules=registry.ALL_RULES)
    if output:
        try:
            atomic_write(output, stream.getvalue())
        except OSError as e:
            raise usage_error(f"cannot write `{output}`: {e.strerror or e}") from None
    if io_error:
        raise typer.Exit(EXIT_USAGE)
    if exit_zero:  # rule findings only: a recipe SparseML cannot load is never a pass
        raise typer.Exit(EXIT_PROBLEMS if load_errors else EXIT_OK)
    failing = diagnostics if strict else [d for d in diagnostics if d.severity.value == "error"]
    raise typer.Exit(EXIT_PROBLEMS if failing else EXIT_OK)
