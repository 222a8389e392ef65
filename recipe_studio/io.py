"""File input and output that never hangs and never detaches a file.

Reading (:func:`read_regular`): only regular files are opened. A FIFO, a device such as
`/dev/zero` or a socket is refused after a `stat`, before any `open` (opening a FIFO
blocks until a writer appears; reading `/dev/zero` never ends), and the size limit is
enforced on the bytes actually read, not on the size the file system reports.

Writing (:func:`atomic_write`, :func:`atomic_write_bytes`): a temp file in the same
directory, fsync, then a rename, so a kill at any moment leaves the old or the new file.
See :func:`atomic_write_bytes` for symlinks, modes, owners, hard links and read-only files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

# ---- reading ----------------------------------------------------------------------------


def kind_of(mode: int) -> str:
    """What a file is, from its `st_mode`, for messages (`a FIFO (named pipe)`, ...)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class NotRegularFile(OSError):
    """The path is a directory, FIFO, device or socket; it was not opened."""

    def __init__(self, path: str | os.PathLike[str], mode: int):
        self.kind = kind_of(mode)
        self.is_dir = stat.S_ISDIR(mode)
        super().__init__(errno.EISDIR if self.is_dir else errno.EINVAL, self.kind,
                         os.fspath(path))


class TooLarge(OSError):
    """More than the limit: `size` is the reported size, or None when the file reported
    less than it holds (it was read up to the limit, then abandoned)."""

    def __init__(self, path: str | os.PathLike[str], limit: int, size: int | None):
        self.limit, self.size = limit, size
        super().__init__(errno.EFBIG, "file too large", os.fspath(path))


def broken_link(path: str | os.PathLike[str]) -> str | None:
    """Why a path that cannot be stat'ed is a broken symbolic link (or None if it is not
    one): `a symbolic link loop` or `a symbolic link to `x`, which does not exist`."""
    try:
        if not os.path.islink(path):
            return None
        target = os.readlink(path)
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symbolic link loop"
        if e.errno == errno.ENOENT:
            return f"a symbolic link to `{target}`, which does not exist"
        return None
    return None


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file, at most `limit` of them.

    Raises :class:`NotRegularFile` (without opening it) for anything that is not a
    regular file, :class:`TooLarge` past `limit` bytes (reading at most `limit + 1`,
    whatever size the file reports), and OSError otherwise.
    """
    st = os.stat(path)  # follows links; ELOOP / ENOENT for broken ones
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path, st.st_mode)
    if st.st_size > limit:
        raise TooLarge(path, limit, st.st_size)
    # O_NONBLOCK: should the path have been swapped for a FIFO since the stat, open must
    # not wait for a writer (the fstat below then refuses it); no effect on regular files
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, st.st_mode)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise TooLarge(path, limit, None)
    return b"".join(chunks)


# ---- writing ----------------------------------------------------------------------------


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
