"""Files that are not plain recipes: special files, links, directories, and the writes.

Special files (FIFO, `/dev/zero`, socket) are refused quickly with exit 2 and never opened
for reading: a guard thread proves it for FIFOs (it can open a FIFO's write end only once a
reader has opened it, and then unblocks that reader, so a regression fails instead of
hanging).
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPE = (ROOT / "examples" / "prune-quantize.yaml").read_text()

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")


class FifoGuard:
    """Watches a FIFO: records whether anyone opened it for reading, and unblocks them."""

    def __init__(self, path: Path):
        self.path = path
        self.opened_by_reader = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:  # succeeds only when a reader has the FIFO open (ENXIO otherwise)
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as e:
                if e.errno not in (errno.ENXIO, errno.ENOENT):
                    raise
            else:
                self.opened_by_reader = True
                os.close(fd)  # the reader sees end of file: no hang
            time.sleep(0.02)

    def __enter__(self) -> FifoGuard:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def special(tmp_path):
    """A directory with a FIFO, a socket, a symlink loop and a dangling link, all named
    like recipes, next to one real recipe."""
    d = tmp_path / "recipes"
    d.mkdir()
    (d / "ok.yaml").write_text(RECIPE)
    os.mkfifo(d / "pipe.yaml")
    (d / "loop.yaml").symlink_to("loop.yaml")
    (d / "dangling.yaml").symlink_to("nowhere.yaml")
    sock = socket.socket(socket.AF_UNIX)
    # AF_UNIX paths are short: bind with a relative name from inside the directory
    cwd = os.getcwd()
    os.chdir(d)
    try:
        sock.bind("sock.yaml")
    finally:
        os.chdir(cwd)
    yield d
    sock.close()


def _args(command: str, path: Path, tmp_path: Path) -> list[str]:
    return {
        "validate": ["validate", path],
        "lint": ["lint", path, "--isolated"],
        "finalize": ["finalize", path],
        "show": ["show", path],
        "plot": ["plot", path, "-o", tmp_path / "out.svg"],
        "scale": ["scale", path, "--epochs", "10"],
        "diff": ["diff", path, ROOT / "examples" / "prune-quantize.yaml"],
        "format": ["format", path],
        "train": ["train", "--recipe", path, "--out", tmp_path / "train-out"],
    }[command]


COMMANDS = ["validate", "lint", "finalize", "show", "plot", "scale", "diff", "format", "train"]


@pytest.mark.parametrize("command", COMMANDS)
def test_fifo_is_refused_unopened(cli, special, tmp_path, command):
    fifo = special / "pipe.yaml"
    with FifoGuard(fifo) as guard:
        start = time.perf_counter()
        r = cli(*_args(command, fifo, tmp_path))
        elapsed = time.perf_counter() - start
    assert not guard.opened_by_reader, "the FIFO was opened for reading"
    assert r.code == 2, r.out + r.err
    assert "FIFO" in r.out + r.err and "not a regular file" in r.out + r.err
    assert "Traceback" not in r.out + r.err
    assert elapsed < 1.0 or command == "train", elapsed
    assert not (tmp_path / "out.svg").exists() and not (tmp_path / "train-out").exists()


@pytest.mark.parametrize("command", ["validate", "lint", "finalize", "scale", "format"])
def test_dev_zero_is_refused_quickly(tmp_path, command):
    """In a child process with a timeout and a memory cap: reading /dev/zero never ends."""
    import resource
    import subprocess
    import sys

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    args = [str(a) for a in _args(command, Path("/dev/zero"), tmp_path)]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "recipe_studio", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, preexec_fn=cap,
                          env={**os.environ, "PYTHONPATH": str(ROOT),
                               "NM_DISABLE_ANALYTICS": "1"})
    assert time.perf_counter() - start < 30
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "`/dev/zero` is a character device" in out, out


def test_dev_zero_in_process_under_a_second(cli, tmp_path):
    start = time.perf_counter()
    r = cli("validate", "/dev/zero")
    assert r.code == 2 and time.perf_counter() - start < 1.0


@pytest.mark.parametrize("command", ["validate", "finalize", "scale"])
def test_socket_is_refused(cli, special, tmp_path, command):
    r = cli(*_args(command, special / "sock.yaml", tmp_path))
    assert r.code == 2 and "is a socket, not a regular file" in r.out + r.err


@pytest.mark.parametrize("name, fragment", [
    ("loop.yaml", "is a symbolic link loop"),
    ("dangling.yaml", "is a symbolic link to `nowhere.yaml`, which does not exist"),
])
@pytest.mark.parametrize("command", ["validate", "scale", "format"])
def test_broken_links_given_explicitly(cli, special, tmp_path, command, name, fragment):
    r = cli(*_args(command, special / name, tmp_path))
    assert r.code == 2 and fragment in r.out + r.err, r.out + r.err


@pytest.mark.parametrize("command", ["finalize", "scale", "show", "plot", "diff"])
def test_directory_where_a_file_is_expected(cli, special, tmp_path, command):
    r = cli(*_args(command, special, tmp_path))
    out = r.out + r.err
    assert r.code == 2 and f"`{special}` is a directory, not a recipe file" in out
    assert f"{special}:1:1" not in out  # a directory has no line and column
    assert f"--> {special}\n" in out


@pytest.mark.parametrize("command", ["validate", "lint", "format"])
def test_walked_directory_notes_skipped_files(cli, special, tmp_path, command):
    args = _args(command, special, tmp_path)
    if command == "format":
        args = ["format", "--check", special]
    with FifoGuard(special / "pipe.yaml") as guard:
        start = time.perf_counter()
        r = cli(*args)
        elapsed = time.perf_counter() - start
    assert not guard.opened_by_reader
    assert elapsed < 10
    notes = [line for line in r.err.splitlines() if line.startswith("recipe-studio: note:")]
    assert notes == [
        f"recipe-studio: note: {special / 'dangling.yaml'}: skipped: a symbolic link to "
        "`nowhere.yaml`, which does not exist",
        f"recipe-studio: note: {special / 'loop.yaml'}: skipped: a symbolic link loop",
        f"recipe-studio: note: {special / 'pipe.yaml'}: skipped: a FIFO (named pipe), not a "
        "regular file",
        f"recipe-studio: note: {special / 'sock.yaml'}: skipped: a socket, not a regular file",
    ]
    # notes are not errors: the exit code is the one of the recipe that was checked
    expected = {"validate": 0, "lint": None, "format": None}[command]
    if expected is not None:
        assert r.code == expected, r.out + r.err
    assert r.code != 2, r.out + r.err
    assert "1 file" in r.out + r.err


def test_directory_with_only_special_files_is_exit_2(cli, special):
    (special / "ok.yaml").unlink()
    with FifoGuard(special / "pipe.yaml") as guard:
        r = cli("validate", special)
    assert not guard.opened_by_reader
    assert r.code == 2 and "no recipe files" in r.err and "skipped: a FIFO" in r.err


def test_size_limit_is_on_the_bytes_read(cli, tmp_path, monkeypatch):
    """/proc files report a size of 0 and hold more: the limit must not trust st_size."""
    from recipe_studio import source

    proc = Path("/proc/self/maps")
    if not proc.exists() or proc.stat().st_size != 0:
        pytest.skip("needs a /proc file that reports size 0")
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 64)
    r = cli("validate", proc, "--format", "json")
    assert r.code == 1 and '"RS002"' in r.out and "more than its reported size" in r.out


def test_read_regular_reads_at_most_limit_plus_one(tmp_path, monkeypatch):
    from recipe_studio import io

    p = tmp_path / "r.yaml"
    p.write_bytes(b"x" * 1000)
    real_stat = os.stat

    class Lying:
        def __init__(self, st):
            self._st = st

        def __getattr__(self, name):
            return 0 if name == "st_size" else getattr(self._st, name)

    monkeypatch.setattr(io.os, "stat", lambda path, *a, **k: Lying(real_stat(path, *a, **k)))
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(io.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(io.TooLarge) as e:
        io.read_regular(p, 100)
    assert e.value.size is None and sum(reads) <= 101
    assert io.read_regular(p, 1000) == b"x" * 1000


def test_kind_of_names_every_special_file():
    from recipe_studio.io import kind_of

    assert kind_of(stat.S_IFIFO) == "a FIFO (named pipe)"
    assert kind_of(stat.S_IFCHR) == "a character device"
    assert kind_of(stat.S_IFBLK) == "a block device"
    assert kind_of(stat.S_IFSOCK) == "a socket"
    assert kind_of(stat.S_IFDIR) == "a directory"

