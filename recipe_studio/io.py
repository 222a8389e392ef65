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


class WriteRefused(OSError):
    """A write that would damage the file (or cannot be made safely) was not attempted.

    `strerror` says why; `force_hint` is set when an explicit override (`--force`) would
    make the write (and says what it would do), None when nothing can.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, force_hint: str | None = None):
        super().__init__(errno.EPERM, reason, os.fspath(path))
        self.force_hint = force_hint


def write_error_message(path: str | os.PathLike[str], e: OSError, *, force_option: str | None
                        = None) -> str:
    """`cannot write `path`: why` for a failed write, with the override when the command
    has one (`force_option`, e.g. `--force`)."""
    why = e.strerror or str(e)
    why = why[:1].lower() + why[1:]
    message = f"cannot write `{os.fspath(path)}`: {why}"
    if isinstance(e, WriteRefused) and e.force_hint and force_option:
        message += f"; pass {force_option} to {e.force_hint}"
    return message


def atomic_write(path: str | os.PathLike[str], text: str, *, newline: str = "\n",
                 bom: bool = False, force: bool = False) -> None:
    """Write `text` (see :func:`atomic_write_bytes`). Newlines are written as `newline`."""
    data = text if newline == "\n" else text.replace("\n", newline)
    atomic_write_bytes(path, (("\ufeff" if bom else "") + data).encode("utf-8"), force=force)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, force: bool = False
                       ) -> None:
    """Write `data` so that readers see the old or the new file, never a partial one, and
    the file keeps its identity.

    * **Symbolic links** are written through: the link stays a link, and its real target
      (`os.path.realpath`) is replaced by a temp file written next to it.
    * **Mode and owner** of an existing file are kept (the owner where the process may
      set it); a new file gets the usual `0o666 & ~umask` (not mkstemp's 0600).
    * **Read-only** files (no write permission bit, or no write access) and files in a
      read-only directory are refused with :class:`WriteRefused`, unless `force`.
    * **Hard links**: a file with more than one link is refused unless `force`. An atomic
      replace makes a new inode, so this name would silently leave the others (they keep
      the old text); the only way to update every link is to write the inode in place,
      which is not atomic (a kill mid-write leaves a partial file), so it is done only
      when asked: with `force`, the data is written in place (then truncated and synced).
    * Anything but a regular file (a directory, a device such as `/dev/null`, a FIFO) is
      never replaced.

    The temp file is fsynced before the rename and the directory after it, so a kill or
    a crash at any moment leaves the old or the new file.
    """
    target = Path(os.path.realpath(path))
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise WriteRefused(path, f"it is {kind_of(st.st_mode)}; only regular files are "
                               "written")
        if not force and (not st.st_mode & 0o222 or not os.access(target, os.W_OK)):
            raise WriteRefused(path, f"it is read-only (mode `{stat.S_IMODE(st.st_mode):04o}`)",
                               "replace it anyway (its mode is kept)")
        if st.st_nlink > 1:
            if not force:
                raise WriteRefused(
                    path, f"it has {st.st_nlink} hard links, and an atomic write would "
                    "detach it from the others (they would keep the old text)",
                    "write it in place, not atomically, so that every link sees the new text")
            _write_in_place(target, data)
            return
    directory = target.parent
    if not force:
        try:
            dmode = os.stat(directory).st_mode
        except OSError:
            dmode = None
        if dmode is not None and (not dmode & 0o222 or not os.access(directory, os.W_OK)):
            raise WriteRefused(path, f"the directory `{directory}` is read-only "
                               f"(mode `{stat.S_IMODE(dmode):04o}`)",
                               "write there anyway")
    import tempfile  # writers only: reading a recipe never needs it (~7 ms)

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if st is not None:
            mode = stat.S_IMODE(st.st_mode)
            _chown(tmp, st)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _chown(tmp: str, st: os.stat_result) -> None:
    """Give the temp file the original's owner and group, as far as allowed."""
    if not hasattr(os, "chown"):
        return
    if (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except OSError:
        with contextlib.suppress(OSError):  # at least the group, when we belong to it
            os.chown(tmp, -1, st.st_gid)


def _write_in_place(target: Path, data: bytes) -> None:
    """Overwrite a file's own inode (hard links all see it): write, truncate, fsync."""
    fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX; a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
