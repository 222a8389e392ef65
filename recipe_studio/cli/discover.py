"""Finding recipe files: explicit paths as given, directories searched recursively.

A walked directory never opens anything but regular files (a FIFO named `x.yaml` would
block the walk forever); the special files, symbolic link loops and dangling links it meets
among the recipe-named files are reported as notes (:attr:`Discovery.notes`): visible on
stderr, not errors, so they do not change the exit code. A path given explicitly is taken
as given, and reading it reports what it is (exit 2 for anything but a regular file).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from recipe_studio.read.detect import HEAD_SIZE, head_looks_like_recipe

RECIPE_SUFFIXES = (".yaml", ".yml", ".md")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
             ".mypy_cache", ".pytest_cache", ".tox", ".ruff_cache", "build", "dist"}


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    #: paths that do not exist or cannot be listed, with the reason
    missing: list[tuple[str, str]] = field(default_factory=list)
    #: directories in which no recipe was found
    empty_dirs: list[str] = field(default_factory=list)
    #: files skipped in walked directories, with the reason (special files, symbolic link
    #: loops, dangling links, unreadable files): notes, not errors
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """A path given could not be used: an I/O error (exit 2), whatever the files say."""
        return bool(self.missing or self.empty_dirs)


def discover_reported(paths: Iterable[str | os.PathLike[str]], *, scripts: bool = False
                      ) -> Discovery:
    """:func:`discover`, with what it skipped (notes) and could not use (errors) said on
    stderr: the one wording of every command that walks directories."""
    import typer

    found = discover(paths, scripts=scripts)
    for path, reason in found.notes:  # skipped in a walked directory: not an error
        typer.echo(f"recipe-studio: note: {path}: {reason}", err=True)
    for path, reason in found.missing:
        typer.echo(f"recipe-studio: error: {path}: {reason}", err=True)
    for d in found.empty_dirs:
        typer.echo("recipe-studio: error: no recipe files (.yaml, .yml, .md mentioning a "
                   "modifier" + (", .py importing modifiers" if scripts else "") +
                   f") under `{d}`", err=True)
    return found


def looks_like_recipe(path: Path) -> bool:
    """Whether a regular file mentions a modifier in its first 256 KiB (False for
    anything else: special files are never opened)."""
    try:
        return _looks_like_recipe(path)
    except OSError:
        return False


def _looks_like_recipe(path: Path, script: bool = False) -> bool:
    from recipe_studio.io import NotRegularFile

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                 | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, st.st_mode)
        head = os.read(fd, HEAD_SIZE)
    finally:
        os.close(fd)
    if script:  # a Python script that builds a recipe (`read.python`)
        from recipe_studio.read.python import head_looks_like_recipe_script

        return head_looks_like_recipe_script(head)
    return head_looks_like_recipe(head)


def _skip_reason(path: Path) -> str | None:
    """Why a recipe-named file of a walked directory is skipped without being opened
    (None for a regular file)."""
    from recipe_studio.io import broken_link, kind_of

    try:
        st = os.stat(path)
    except OSError as e:
        why = broken_link(path)
        if why:
            return f"skipped: {why}"
        if e.errno == errno.ELOOP:
            return "skipped: a symbolic link loop"
        return f"skipped: {_lower_first(e.strerror or str(e))}"
    if not stat.S_ISREG(st.st_mode):
        return f"skipped: {kind_of(st.st_mode)}, not a regular file"
    return None


def discover(paths: Iterable[str | os.PathLike[str]], *, scripts: bool = False) -> Discovery:
    """Expand paths. Files are taken as given; directories contribute the `.yaml`, `.yml`
    and `.md` files under them that mention a modifier (READMEs and CI configs are skipped),
    and with `scripts` (lint, validate) the `.py` files that import from llm-compressor's or
    SparseML's `modifiers` package (:data:`recipe_studio.read.python.PY_RECIPE_MARK`)."""
    suffixes = RECIPE_SUFFIXES + ((".py",) if scripts else ())
    out = Discovery()
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = []
            try:
                for root, dirs, files in os.walk(p, onerror=_raise):
                    dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                    for name in sorted(files):
                        if name.lower().endswith(suffixes):
                            f = Path(root) / name
                            why = _skip_reason(f)
                            if why is None:
                                try:
                                    if _looks_like_recipe(f, name.lower().endswith(".py")):
                                        found.append(str(f))
                                except OSError as e:
                                    why = f"skipped: {_lower_first(e.strerror or str(e))}"
                            if why is not None:
                                out.notes.append((str(f), why))
            except OSError as e:
                out.missing.append((str(raw), f"cannot list directory: {e.strerror or e}"))
                continue
            if not found:
                out.empty_dirs.append(str(raw))
            for f in found:
                if f not in seen:
                    seen.add(f)
                    out.files.append(f)
        elif p.exists() or p.is_symlink():
            if str(raw) not in seen:
                seen.add(str(raw))
                out.files.append(str(raw))
        else:
            out.missing.append((str(raw), "no such file or directory"))
    return out


def _raise(e: OSError) -> None:
    raise e


def _lower_first(message: str) -> str:
    """`Permission denied` → `permission denied` (messages are lower case; paths are not)."""
    return message[:1].lower() + message[1:]
