"""File output: atomic writes (a temp file in the same directory, then rename)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], text: str, *, newline: str = "\n",
                 bom: bool = False) -> None:
    """Write `text` to `path` so that readers see either the old or the new file, never a
    partial one. Newlines are written as `newline`; an existing file keeps its mode."""
    data = text if newline == "\n" else text.replace("\n", newline)
    atomic_write_bytes(path, (("\ufeff" if bom else "") + data).encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` through a temporary file in the same directory and a rename. An
    existing file keeps its mode; a new one gets the usual `0o666 & ~umask` (not mkstemp's
    0600)."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
