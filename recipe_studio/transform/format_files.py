"""Format many recipe files: check, diff or write each, and the exit code.

The library call behind `recipe-studio format PATH...`: :func:`format_files` formats each
file with :func:`transform.format.format_file` and, by :class:`FormatMode`, lists it,
diffs it or writes it; :class:`FormatRun` holds what happened to each file, the counts of
the summary line and the exit status. Nothing here prints; `on_file` hears of each file
as soon as it is done.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any
from dataclasses import dataclass, field


class FormatMode(enum.Enum):
    WRITE = "write"
    #: write nothing; a file that would change is a finding (exit 1)
    CHECK = "check"
    #: write nothing; the changes as a unified diff, a file that would change is a finding
    DIFF = "diff"


@dataclass
class FileOutcome:
    path: str
    #: "unchanged", "changed" (written, or would be), "unformattable" or "unwritten"
    status: str
    #: why the file could not be formatted or written
    error: str | None = None
    #: the unified diff (FormatMode.DIFF)
    diff: str | None = None


@dataclass
class FormatRun:
    mode: FormatMode
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> bool:
        return any(f.error for f in self.files)

    def exit_code(self, *, discovery_failed: bool = False) -> int:
        """2 when a path or file could not be used, formatted or written; 1 when checking
        or diffing found a file to change; else 0."""
        from recipe_studio.lint.run import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE

        if discovery_failed or self.failed:
            return EXIT_USAGE
        finding = self.mode is not FormatMode.WRITE and self.count("changed")
        return EXIT_PROBLEMS if finding else EXIT_OK


def format_files(paths: Sequence[str], mode: FormatMode, *, force: bool = False,
                 on_file: Callable[[FileOutcome], None] | None = None,
                 target_of: Callable[[str], str | None] | None = None,
                 stubs_of: Callable[[str], Any] | None = None) -> FormatRun:
    """Format every file; see :class:`FormatMode` (`force`: as `transform.format.write`;
    `target_of`: a file's stage-recipe library, see `transform.format.format_text`;
    `stubs_of`: the modifier-stubs catalogue that applies to a file, or None)."""
    from recipe_studio.stubs import using

    run = FormatRun(mode)
    for path in paths:
        with using(stubs_of(path) if stubs_of is not None else None):
            outcome = format_one(path, mode, force=force,
                                 target=target_of(path) if target_of is not None else None)
        run.files.append(outcome)
        if on_file is not None:
            on_file(outcome)
    return run


def format_one(path: str, mode: FormatMode, *, force: bool = False,
               target: str | None = None) -> FileOutcome:
    from recipe_studio.io import write_error_message
    from recipe_studio.transform.format import FormatError, format_file, write

    try:
        result = format_file(path, target=target)
    except FormatError as e:
        return FileOutcome(path, "unformattable", error=f"cannot format {path}: {e.message}")
    if not result.changed:
        return FileOutcome(path, "unchanged")
    if mode is FormatMode.CHECK:
        return FileOutcome(path, "changed")
    if mode is FormatMode.DIFF:
        from recipe_studio.lint.fix import unified_diff

        return FileOutcome(path, "changed", diff=unified_diff(path, result.before, result.after))
    try:
        write(path, result.text, force=force)
    except OSError as e:  # not counted as reformatted: nothing was written
        return FileOutcome(path, "unwritten",
                           error=write_error_message(path, e, force_option="--force"))
    return FileOutcome(path, "changed")
