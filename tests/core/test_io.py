"""io.py and the newline-keeping edit helpers, as a library (the CLI side is in
tests/cli/test_files.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from recipe_studio import io
from recipe_studio.diagnostics import Edit
from recipe_studio.read.source import from_text, normalize_newlines, read_source
from recipe_studio.transform.edit import edit_original_text, restore_newlines

ROOT = Path(__file__).resolve().parents[2]


# ---- edits on the original bytes ---------------------------------------------------------

@pytest.mark.parametrize("original", [
    "a: 1\r\nb: 2\nc: 3\rd: 4",
    "\ufeffa: 1\r\nb: 2\nc: 3\rd: 4\r\n",
    "a: 1\rb: 2\rc: 3\rd: 4\r",
    "a: 1\nb: 2\nc: 3\nd: 4\n",
])
def test_edit_original_text_touches_only_the_edits(original):
    normalized = normalize_newlines(original.lstrip("\ufeff"))
    b = normalized.index("2")
    d = normalized.index("4")
    out = edit_original_text(original, normalized, [Edit(b, b + 1, "20"),
                                                    Edit(d, d + 1, "40")])
    assert out == original.replace("2", "20").replace("4", "40")


def test_new_lines_take_the_ending_of_their_line():
    original = "a: 1\r\nb: 2\nc: 3\r"
    normalized = normalize_newlines(original)
    after_a = normalized.index("\n") + 1  # the start of line 2 (an LF line)
    c_line = normalized.index("c")
    out = edit_original_text(original, normalized, [
        Edit(after_a, after_a, "x: 9\ny: 8\n"),      # inserted before `b` (an LF line)
        Edit(c_line, c_line, "z: 7\n"),              # before `c` (a CR line)
    ])
    assert out == "a: 1\r\nx: 9\ny: 8\nb: 2\nz: 7\rc: 3\r"


def test_deleting_a_line_removes_its_own_ending():
    original = "a: 1\r\nb: 2\nc: 3\r\n"
    normalized = normalize_newlines(original)
    start = normalized.index("b")
    end = normalized.index("c")
    assert edit_original_text(original, normalized, [Edit(start, end, "")]) \
        == "a: 1\r\nc: 3\r\n"


def test_edit_original_text_checks_its_input():
    with pytest.raises(ValueError):
        edit_original_text("a\r\nb\n", "a\nb\nc\n", [])
    with pytest.raises(ValueError):
        edit_original_text("a\r\nb\n", "ab\n", [])


def test_restore_newlines_keeps_each_moved_line_ending():
    original = "k:\r\n  b: 2\n  a: 1\r\n  c: 3\n"
    source = from_text(original)
    new = "k:\n  a: 1\n  b: 2\n  c: 3.0\n"
    out = restore_newlines(new, source)
    assert out == "k:\r\n  a: 1\r\n  b: 2\n  c: 3.0\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_restore_newlines_one_style(newline):
    original = "\ufeff" + "a: 1\nb: 2\n".replace("\n", newline)
    source = from_text(original)
    assert restore_newlines("b: 2\na: 1\nc: 3\n", source) == \
        "\ufeff" + "b: 2\na: 1\nc: 3\n".replace("\n", newline)


def test_read_source_keeps_the_original_bytes(tmp_path):
    data = "\ufeffnum_epochs: 1.0\r\nmodifiers: []\rx: 1\n".encode()
    p = tmp_path / "r.yaml"
    p.write_bytes(data)
    source = read_source(p)
    assert source.original.encode() == data
    assert source.text == "num_epochs: 1.0\nmodifiers: []\nx: 1\n" and source.bom


# ---- the library API keeps the bytes too ---------------------------------------------------

def _mixed(text: str) -> str:
    lines = text.split("\n")
    return "".join(line + ("\r\n" if i % 2 else "\n") for i, line in
                   enumerate(lines[:-1])) + lines[-1]


def test_scale_text_keeps_mixed_endings():
    from recipe_studio.transform.scale import scale_text

    text = (ROOT / "examples" / "prune-quantize.yaml").read_text()
    mixed = _mixed(text)
    lf = scale_text(text, 20).text
    out = scale_text(mixed, 20).text
    assert normalize_newlines(out) == lf
    old, new = mixed.splitlines(keepends=True), out.splitlines(keepends=True)
    assert len(old) == len(new)
    assert all(o == n or (o.endswith("\r\n") == n.endswith("\r\n")) for o, n in zip(old, new))
    assert sum(o != n for o, n in zip(old, new)) == 5


def test_format_text_keeps_cr_only_and_mixed_endings():
    from recipe_studio.transform.format import format_text

    text = (ROOT / "examples" / "prune-quantize.yaml").read_text()
    lf = format_text(text)
    assert format_text(text.replace("\n", "\r")) == lf.replace("\n", "\r")
    mixed = _mixed(text)
    out = format_text(mixed)
    assert normalize_newlines(out) == lf
    assert sorted(out.splitlines(keepends=True)) == sorted(mixed.splitlines(keepends=True))


def test_fix_text_applies_every_pass_to_the_original():
    from recipe_studio.lint.fix import fix_text
    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.read.load import load

    original = ("lr: 1e-5\r\nmodifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 10}"
                "\r  - !SetWeightDecayModifier\r\n    start_epoch: 0.0\n"
                "    weight_decay: 10e-6\r\n")
    source = from_text(original, path="r.yaml")
    settings = LintSettings(isolated=True)

    def relint(text):
        return lint_recipe(load(from_text(text, path="r.yaml")), settings)

    outcome = fix_text(source.text, relint, original=original)
    assert outcome.changed
    assert outcome.original == original.replace("1e-5", "1.0e-5").replace("10e-6", "10.0e-6")
    assert normalize_newlines(outcome.original) == outcome.text


# ---- atomic writes -------------------------------------------------------------------------

def test_new_file_gets_the_umask_mode(tmp_path):
    p = tmp_path / "new.yaml"
    old = os.umask(0o027)
    try:
        io.atomic_write(p, "a: 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o640 and p.read_text() == "a: 1\n"


def test_symlink_chain_and_dangling_link_targets(tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    (tmp_path / "l1.yaml").symlink_to("real.yaml")
    (tmp_path / "l2.yaml").symlink_to("l1.yaml")
    io.atomic_write(tmp_path / "l2.yaml", "new\n")
    assert real.read_text() == "new\n"
    assert os.readlink(tmp_path / "l2.yaml") == "l1.yaml"
    # a dangling link as an output: its target is created, the link stays
    (tmp_path / "out.yaml").symlink_to("made.yaml")
    io.atomic_write(tmp_path / "out.yaml", "x\n")
    assert (tmp_path / "out.yaml").is_symlink() and (tmp_path / "made.yaml").read_text() == "x\n"


def test_refusals_say_why_and_what_force_does(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("a\n")
    p.chmod(0o400)
    with pytest.raises(io.WriteRefused) as e:
        io.atomic_write(p, "b\n")
    assert e.value.strerror == "it is read-only (mode `0400`)"
    assert io.write_error_message(p, e.value, force_option="--force") == (
        f"cannot write `{p}`: it is read-only (mode `0400`); pass --force to replace it "
        "anyway (its mode is kept)")
    assert io.write_error_message(p, e.value) == \
        f"cannot write `{p}`: it is read-only (mode `0400`)"
    io.atomic_write(p, "b\n", force=True)
    assert p.read_text() == "b\n" and stat.S_IMODE(p.stat().st_mode) == 0o400
    with pytest.raises(io.WriteRefused, match="it is a directory; only regular files"):
        io.atomic_write(tmp_path, "x", force=True)


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "r.yaml"
    p.write_text("old\n")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError):
        io.atomic_write(p, "new\n")
    assert p.read_text() == "old\n" and os.listdir(tmp_path) == ["r.yaml"]


def test_read_regular(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_bytes(b"abc")
    assert io.read_regular(p, 3) == b"abc"
    with pytest.raises(io.TooLarge) as e:
        io.read_regular(p, 2)
    assert e.value.size == 3
    with pytest.raises(io.NotRegularFile) as e2:
        io.read_regular(tmp_path, 10)
    assert e2.value.is_dir
