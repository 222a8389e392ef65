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
        "train": ["train", "--recipe", path, "--output", tmp_path / "train-out"],
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
    assert elapsed < 10, elapsed  # cold imports included; the 1 s bound is tested warm below
    assert not (tmp_path / "out.svg").exists() and not (tmp_path / "train-out").exists()


def test_special_files_are_refused_under_a_second(cli, special, tmp_path):
    for command in ("validate", "scale", "format", "finalize"):  # imports paid here
        cli(*_args(command, special / "ok.yaml", tmp_path))
    with FifoGuard(special / "pipe.yaml") as guard:
        for name in ("pipe.yaml", "sock.yaml", "/dev/zero"):
            for command in ("validate", "scale", "format", "finalize"):
                start = time.perf_counter()
                r = cli(*_args(command, special / name, tmp_path))
                elapsed = time.perf_counter() - start
                assert r.code == 2 and elapsed < 1.0, (name, command, elapsed)
    assert not guard.opened_by_reader


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
    from recipe_studio.read import source

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



# ---- in-place writes keep the file's identity -------------------------------------------

FIXABLE = ("lr: 1e-5\nmodifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 10}\n"
           "  - !SetLearningRateModifier\n    start_epoch: 0.0\n    learning_rate: eval(lr)\n"
           "  - !SetWeightDecayModifier\n    start_epoch: 5.0\n    weight_decay: 10e-6\n")

WRITERS = {
    # command line, the text the file starts with, a line the written file must contain
    "scale": (lambda p: ["scale", p, "--epochs", "20", "--in-place", "-q"], RECIPE,
              "num_epochs: 20.0"),
    "format": (lambda p: ["format", "-q", p], RECIPE, "    learning_rate: eval(init_lr)\n"
               "    start_epoch: 0.0\n"),
    "lint-fix": (lambda p: ["lint", "--isolated", "--fix", p], FIXABLE, "weight_decay: 10.0e-6"),
}


def _sanity_check_writers():
    for name, (_, text, after) in WRITERS.items():
        assert after not in text, name


@pytest.fixture(params=list(WRITERS))
def writer(request):
    return request.param


def _write_cmd(writer: str, path: Path, *extra: str) -> list:
    args = WRITERS[writer][0](path)
    if extra:
        args = [*args[:1], *extra, *args[1:]]
    return args


def test_writers_change_the_file(cli, tmp_path, writer):
    _sanity_check_writers()
    _, text, after = WRITERS[writer]
    p = tmp_path / "r.yaml"
    p.write_text(text)
    r = cli(*_write_cmd(writer, p))
    assert r.code in (0, 1), r.out + r.err
    assert after in p.read_text()


def test_symlink_is_written_through(cli, tmp_path, writer):
    _, text, after = WRITERS[writer]
    real = tmp_path / "real" / "recipe.yaml"
    real.parent.mkdir()
    real.write_text(text)
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    r = cli(*_write_cmd(writer, link))
    assert r.code in (0, 1), r.out + r.err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert after in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(real.parent)) == ["recipe.yaml"]  # no temp file left behind
    assert sorted(os.listdir(tmp_path)) == ["link.yaml", "real"]


def test_mode_is_kept(cli, tmp_path, writer):
    _, text, after = WRITERS[writer]
    p = tmp_path / "r.yaml"
    p.write_text(text)
    p.chmod(0o604)
    r = cli(*_write_cmd(writer, p))
    assert r.code in (0, 1) and after in p.read_text()
    assert stat.S_IMODE(p.stat().st_mode) == 0o604


def test_hard_link_is_refused(cli, tmp_path, writer):
    _, text, _ = WRITERS[writer]
    p = tmp_path / "r.yaml"
    p.write_text(text)
    other = tmp_path / "other-name.yaml"
    os.link(p, other)
    r = cli(*_write_cmd(writer, p))
    assert r.code == 2, r.out + r.err
    assert f"cannot write `{p}`: it has 2 hard links" in r.err
    assert "detach" in r.err
    assert p.read_text() == text and other.read_text() == text
    assert os.path.samefile(p, other)
    assert "reformatted" not in r.err.replace("0 files reformatted", "")
    assert "wrote" not in r.err and "fixed" not in r.err


@pytest.mark.parametrize("command", ["scale", "format", "lint-fix"])
def test_hard_link_with_force_is_written_in_place(cli, tmp_path, command):
    _, text, after = WRITERS[command]
    p = tmp_path / "r.yaml"
    p.write_text(text)
    other = tmp_path / "other-name.yaml"
    os.link(p, other)
    r = cli(*_write_cmd(command, p, "--force"))
    assert r.code == 0, r.out + r.err
    assert os.path.samefile(p, other) and os.stat(p).st_nlink == 2
    assert after in other.read_text() and p.read_text() == other.read_text()


def test_read_only_file_is_refused(cli, tmp_path, writer):
    _, text, _ = WRITERS[writer]
    p = tmp_path / "r.yaml"
    p.write_text(text)
    p.chmod(0o444)
    r = cli(*_write_cmd(writer, p))
    assert r.code == 2, r.out + r.err
    assert f"cannot write `{p}`: it is read-only (mode `0444`)" in r.err
    assert p.read_text() == text and stat.S_IMODE(p.stat().st_mode) == 0o444
    assert "pass --force to replace it anyway" in r.err
    assert "wrote" not in r.err and "fixed" not in r.err and "reformatted " not in r.err


@pytest.mark.parametrize("command", ["scale", "format", "lint-fix"])
def test_read_only_file_with_force(cli, tmp_path, command):
    _, text, after = WRITERS[command]
    p = tmp_path / "r.yaml"
    p.write_text(text)
    p.chmod(0o444)
    r = cli(*_write_cmd(command, p, "--force"))
    assert r.code == 0, r.out + r.err
    assert after in p.read_text() and stat.S_IMODE(p.stat().st_mode) == 0o444


def test_read_only_directory(cli, tmp_path, writer):
    _, text, _ = WRITERS[writer]
    d = tmp_path / "ro"
    d.mkdir()
    p = d / "r.yaml"
    p.write_text(text)
    d.chmod(0o555)
    try:
        args = _write_cmd(writer, p)
        if writer == "format":
            args = ["format", p]  # not quiet: the summary must not claim a write
        r = cli(*args)
    finally:
        d.chmod(0o755)
    assert r.code == 2, r.out + r.err
    assert f"cannot write `{p}`" in r.err  # the path is named (lint --fix too)
    assert p.read_text() == text and os.listdir(d) == ["r.yaml"]
    assert "1 file reformatted" not in r.err and "reformatted " not in r.err
    assert "wrote" not in r.err and "fixed" not in r.err
    if writer == "format":
        assert "0 files reformatted, 0 already formatted, 1 could not be written" in r.err


def test_special_file_is_never_a_write_target(cli, tmp_path):
    out = tmp_path / "out.yaml"
    os.mkfifo(out)
    with FifoGuard(out) as guard:
        r = cli("finalize", ROOT / "examples" / "prune-quantize.yaml", "-o", out)
    assert r.code == 2 and "it is a FIFO (named pipe); only regular files are written" in r.err
    assert stat.S_ISFIFO(os.stat(out).st_mode) and not guard.opened_by_reader


# ---- every unedited byte is kept: mixed CRLF/LF and CR-only line endings -----------------

def _mixed(text: str) -> bytes:
    lines = text.split("\n")
    return ("".join(line + ("\r\n" if i % 3 == 1 else "\n") for i, line in
                    enumerate(lines[:-1])) + lines[-1]).encode()


def _cr_only(text: str) -> bytes:
    return text.replace("\n", "\r").encode()


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


@pytest.mark.parametrize("style", ["mixed", "cr", "bom-mixed"])
def test_line_endings_are_kept(cli, tmp_path, writer, style):
    """The written file is the LF result with each line's own ending: lines the command
    did not touch are byte-identical, and the newline style of each line is kept."""
    _, text, after = WRITERS[writer]
    data = {"mixed": _mixed, "cr": _cr_only, "bom-mixed": _mixed}[style](text)
    if style == "bom-mixed":
        data = b"\xef\xbb\xbf" + data
    p = tmp_path / "r.yaml"
    p.write_bytes(data)
    reference = tmp_path / "lf.yaml"  # the same command on the LF version
    reference.write_text(text)
    cli(*_write_cmd(writer, reference))
    r = cli(*_write_cmd(writer, p))
    assert r.code in (0, 1), r.out + r.err
    written = p.read_bytes()
    assert written != data and after in _lf(written).decode("utf-8-sig")
    assert _lf(written).removeprefix(b"\xef\xbb\xbf") == reference.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf") == style.startswith("bom")
    old_lines = data.splitlines(keepends=True)
    new_lines = written.splitlines(keepends=True)
    if writer == "format":  # lines move: every kept line keeps its ending
        kept = set(old_lines) & set(new_lines)
        for line in new_lines:
            if line in kept:
                continue
            stripped = line.rstrip(b"\r\n")
            # a rewritten line ends like the file's lines do
            assert line[len(stripped):] in {o[len(o.rstrip(b"\r\n")):] for o in old_lines}
        assert len(kept) >= len(set(old_lines)) - 2
    else:  # position-exact edits: same line count, only the edited lines differ
        assert len(old_lines) == len(new_lines)
        for old, new in zip(old_lines, new_lines):
            ending = old[len(old.rstrip(b"\r\n")):]
            assert new.endswith(ending) and new[: len(new) - len(ending)].find(b"\r") == -1
        changed = [i for i, (o, n) in enumerate(zip(old_lines, new_lines)) if o != n]
        assert 0 < len(changed) <= 6


# ---- a kill at any moment leaves the old or the new file ---------------------------------

KILL_LOOP = r"""
import sys
from recipe_studio.io import atomic_write_bytes
path, a, b = sys.argv[1], b"A" * 3_000_000, b"B" * 2_000_000
print("ready", flush=True)
while True:
    atomic_write_bytes(path, a)
    atomic_write_bytes(path, b)
"""


def test_kill_during_writes_leaves_old_or_new(tmp_path):
    import random
    import signal
    import subprocess
    import sys

    p = tmp_path / "r.yaml"
    p.write_bytes(b"A" * 3_000_000)
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", KILL_LOOP, str(p)], cwd=tmp_path,
                                stdout=subprocess.PIPE, env={**os.environ,
                                                             "PYTHONPATH": str(ROOT)})
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        data = p.read_bytes()
        assert data in (b"A" * 3_000_000, b"B" * 2_000_000), len(data)


def test_config_fifo_is_refused_unopened(cli, tmp_path):
    """`lint --config FIFO` is a configuration error at once, the FIFO never opened."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    fifo = tmp_path / "team.toml"
    os.mkfifo(fifo)
    with FifoGuard(fifo) as guard:
        r = cli("lint", recipe, "--config", fifo)
    assert not guard.opened_by_reader, "the FIFO was opened for reading"
    assert r.code == 2, r.out + r.err
    assert f"config file `{fifo}` is a FIFO (named pipe), not a regular file" in r.err
