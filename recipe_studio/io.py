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
    target = Path(path)
    data = text if newline == "\n" else text.replace("\n", newline)
    raw = ("\ufeff" if bom else "") + data
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
