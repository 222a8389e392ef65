"""Validate or lint many recipe files: the fix loop, the writes and the exit code.

The library call behind `recipe-studio validate` and `lint`: :func:`check_files` takes
the files to check and a :class:`RunOptions` (the lint settings, or none for `validate`'s
loader diagnostics alone; whether to fix, diff or write) and returns a :class:`RunResult`,
whose :meth:`RunResult.exit_code` is the command's exit status. Nothing here prints:
what happened to each file (fixes written, a write that failed, a diff) is on its
:class:`FileResult`.

Exit codes: 0 clean, 1 problems found, 2 usage or I/O errors (:data:`EXIT_OK`,
:data:`EXIT_PROBLEMS`, :data:`EXIT_USAGE`; every command uses these).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recipe_studio.diagnostics import Diagnostic
    from recipe_studio.lint.engine import LintSettings
    from recipe_studio.read.recipe import Recipe
    from recipe_studio.read.source import Source
    from recipe_studio.read.variables import Override

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

#: the path that names the recipe read from standard input
STDIN = "-"


@dataclass
class RunOptions:
    overrides: Sequence[Override] = ()
    #: the library that runs stage recipes (`sparseml`, `llmcompressor`); None: the
    #: configuration's `target`, else inferred from the recipe
    target: str | None = None
    #: `--stage`: the stage selection of stage recipes (`load(target_stage=...)`)
    target_stage: str | None = None
    #: the lint settings; None checks as `validate` does (the loader's diagnostics only)
    settings: LintSettings | None = None
    #: apply the safe fixes (`unsafe_fixes`: all of them) and write the files
    fix: bool = False
    unsafe_fixes: bool = False
    #: compute the fixes as a unified diff instead of writing them
    diff: bool = False
    #: write read-only and hard-linked files too (`io.atomic_write_bytes`)
    force: bool = False
    #: configurations found so far (`validate`'s discovery for `target`)
    config_cache: dict = field(default_factory=dict, repr=False)
    #: the configuration of each directory of a file checked so far (`validate`)
    dir_configs: dict = field(default_factory=dict, repr=False)

    @property
    def fixing(self) -> bool:
        return self.settings is not None and (self.fix or self.diff)


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic]
    #: the file's text (for source snippets), None when it could not be read
    text: str | None
    #: the file could not be read at all (missing, a directory), or not written: an I/O error
    io_error: bool = False
    #: how many fixes were written to the file
    fixed: int = 0
    #: why writing the fixed text failed (nothing was written)
    write_error: str | None = None
    #: the fixes as a unified diff (`RunOptions.diff`), when there are any
    diff: str | None = None


@dataclass
class RunResult:
    files: list[FileResult]
    #: a path given could not be used (missing, or a directory without recipes)
    discovery_failed: bool = False
    diff: bool = False
    diagnostics: list[Diagnostic] = field(init=False)

    def __post_init__(self) -> None:
        self.diagnostics = [d for r in self.files for d in r.diagnostics]

    @property
    def files_checked(self) -> int:
        return len(self.files)

    @property
    def texts(self) -> dict[str | None, str | None]:
        return {r.path: r.text for r in self.files}

    @property
    def diffs(self) -> list[str]:
        return [r.diff for r in self.files if r.diff]

    @property
    def io_error(self) -> bool:
        return self.discovery_failed or any(r.io_error for r in self.files)

    def exit_code(self, *, strict: bool = False, exit_zero: bool = False) -> int:
        """2 on an I/O error; else 1 when an error was found (`strict`: any diagnostic; with
        a diff: a change; `exit_zero`: a load error only, never ignored), else 0."""
        from recipe_studio.read.codes import is_load_error

        if self.io_error:
            return EXIT_USAGE
        load_errors = any(is_load_error(d) for d in self.diagnostics)
        if self.diff:
            failing = bool(self.diffs) or load_errors
        elif exit_zero:  # rule findings only: a recipe SparseML cannot load is never a pass
            failing = load_errors
        elif strict:
            failing = bool(self.diagnostics)
        else:
            failing = any(d.severity.value == "error" for d in self.diagnostics)
        return EXIT_PROBLEMS if failing else EXIT_OK


def check_files(
    paths: Sequence[str],
    options: RunOptions,
    *,
    stdin: Recipe | None = None,
    discovery_failed: bool = False,
    map_files: Callable[[Sequence[str], Callable[[str], FileResult]], list[FileResult]]
    | None = None,
    on_fixed: Callable[[FileResult], None] | None = None,
) -> RunResult:
    """Check every path (`-` is the already-loaded `stdin` recipe).

    `map_files(paths, check)` runs `check` over the paths and returns the results in order
    (default: one after the other; the CLI passes its worker pool). Fixing writes files and
    collects diffs, so it always runs here, one file after the other, and `on_fixed` hears
    of each file as soon as it is done (to say what was written). A configuration error
    raises `lint.config.ConfigError`.
    """
    def check(path: str) -> FileResult:
        return check_file(path, options, recipe=stdin if path == STDIN else None)

    if options.fixing:
        results = []
        for path in paths:
            results.append(check(path))
            if on_fixed is not None:
                on_fixed(results[-1])
    elif map_files is not None:
        results = map_files(paths, check)
    else:
        results = [check(p) for p in paths]
    return RunResult(results, discovery_failed=discovery_failed,
                     diff=options.settings is not None and options.diff)


def check_file(path: str, options: RunOptions, *, recipe: Recipe | None = None
               ) -> FileResult:
    """Load (unless `recipe` is given) and check one file; with `options.fix`, write the
    fixed text and check what was written."""
    from recipe_studio import stubs

    where = recipe.path if recipe is not None and recipe.path else path  # stdin: its name
    catalogue = _stubs(where, options)
    with stubs.using(catalogue):  # the configured modifier stubs, if any
        if recipe is not None and recipe.source is not None and \
                (catalogue or recipe.stage_recipe is not None):
            from recipe_studio.read.load import load

            # read before the configuration was known (stdin): again, with the stubs, and a
            # stage recipe with its target and stage selection
            recipe = load(recipe.source, overrides=options.overrides,
                          target=_target(where, options), target_stage=options.target_stage)
        return _check_file(path, options, recipe)


def _check_file(path: str, options: RunOptions, recipe: Recipe | None) -> FileResult:
    from recipe_studio.read.load import load

    if recipe is None:
        recipe = load(path, overrides=options.overrides, target=_target(path, options),
                      target_stage=options.target_stage)
    path = recipe.path or path
    if recipe.source is None:  # nothing was read: no text, perhaps an I/O error
        return FileResult(path, _diagnostics(recipe, options), None,
                          any(d.code == "RS001" for d in recipe.diagnostics))
    if not options.fixing:
        return FileResult(path, _diagnostics(recipe, options), recipe.source.text)
    return _fix_file(path, recipe, options)


def _target(path: str, options: RunOptions) -> str | None:
    """`--target`, else the `target` of the file's configuration (that of the lint
    settings; `validate` discovers one), else None (inferred from the recipe)."""
    if options.target:
        return options.target
    if options.settings is not None:
        return options.settings.config_for(path).target
    config = _config(path, options)
    return config.target if config is not None else None


def _config(path: str, options: RunOptions) -> Any:
    """The configuration that applies to `path` (that of the lint settings; `validate`
    discovers one), or None."""
    if options.settings is not None:
        return options.settings.config_for(path)
    import os

    # the same start as lint's (no symlink resolution: a loop is reported by load); asked
    # twice per file and once per directory is enough (discovery resolves the path)
    start = os.path.dirname(os.path.abspath(path))
    if start not in options.dir_configs:
        from pathlib import Path

        from recipe_studio.lint.config import discover_config

        options.dir_configs[start] = discover_config(Path(start), options.config_cache)
    return options.dir_configs[start]


def _stubs(path: str, options: RunOptions) -> Any:
    """The modifier-stubs catalogue of `path`'s configuration (`modifier-stubs`), or None."""
    config = _config(path, options)
    if config is None or not getattr(config, "modifier_stubs", None):
        return None
    from recipe_studio import stubs
    from recipe_studio.lint.errors import ConfigError

    try:
        return stubs.cached_catalogue(config.modifier_stubs)
    except stubs.CatalogueError as e:  # changed since the configuration was read
        raise ConfigError(str(e)) from None


def _diagnostics(recipe: Recipe, options: RunOptions) -> list[Diagnostic]:
    if options.settings is None:
        return recipe.diagnostics
    from recipe_studio.lint.engine import lint_recipe

    return lint_recipe(recipe, options.settings)


def _fix_file(path: str, recipe: Recipe, options: RunOptions) -> FileResult:
    """Fix until no fix applies; write the result (or diff it), then lint what is there."""
    from recipe_studio.io import atomic_write_bytes, write_error_message
    from recipe_studio.lint.fix import fix_text, unified_diff
    from recipe_studio.read.load import load

    src = recipe.source
    assert src is not None
    outcome = fix_text(src.text, lambda text: _relint(text, src, options),
                       unsafe=options.unsafe_fixes, original=src.original)
    if not outcome.changed:
        return FileResult(path, _diagnostics(recipe, options), src.text)
    if options.diff:
        return FileResult(path, _diagnostics(recipe, options), src.text,
                          diff=unified_diff(path, src.text, outcome.text))
    try:  # the file's own bytes outside the fixes (line endings, BOM)
        atomic_write_bytes(path, (outcome.original or outcome.text).encode("utf-8"),
                           force=options.force)
    except OSError as e:  # nothing written: say which file and why
        return FileResult(path, _diagnostics(recipe, options), src.text, True,
                          write_error=write_error_message(path, e, force_option="--force"))
    recipe = load(path, overrides=options.overrides, target=_target(path, options),
                  target_stage=options.target_stage)
    return FileResult(path, _diagnostics(recipe, options),
                      recipe.source.text if recipe.source else None,
                      fixed=len(outcome.applied))


def _relint(text: str, src: Source, options: RunOptions) -> list[Diagnostic]:
    from recipe_studio.read.load import load
    from recipe_studio.read.source import from_text

    return _diagnostics(load(from_text(text, path=src.path, form=src.form),
                             overrides=options.overrides,
                             target=_target(src.path or STDIN, options),
                             target_stage=options.target_stage), options)
