"""Bad input gets a clear diagnostic with a location and a non-zero exit code.

Never a traceback, never a hang, never a file written.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest


def diags(result):
    return json.loads(result.out)


def codes_of(result):
    return [d["code"] for d in diags(result)]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    return p


def test_empty_file(cli, tmp_path):
    p = write(tmp_path, "empty.yaml", "")
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and codes_of(r) == ["RS014"]
    assert diags(r)[0]["line"] == 1


def test_only_comments(cli, tmp_path):
    p = write(tmp_path, "c.yaml", "# nothing here\n")
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and codes_of(r) == ["RS014"]


def test_binary_file(cli, tmp_path):
    p = write(tmp_path, "bin.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and codes_of(r) == ["RS003"]
    assert "binary" in diags(r)[0]["message"]


def test_non_utf8_bytes_have_a_position(cli, tmp_path):
    p = write(tmp_path, "latin1.yaml", "num_epochs: 10\nname: caf\xe9\n".encode("latin-1"))
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and codes_of(r) == ["RS003"]
    d = diags(r)[0]
    assert (d["line"], d["column"]) == (2, 10) and "UTF-8" in d["message"]


def test_huge_file_is_refused_without_reading(cli, tmp_path):
    p = tmp_path / "huge.yaml"
    with p.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse 50 MB file
    start = time.perf_counter()
    r = cli("validate", p, "--format", "json")
    assert time.perf_counter() - start < 5
    assert r.code == 1 and codes_of(r) == ["RS002"]
    assert "50.0 MiB" in diags(r)[0]["message"]


def test_deep_nesting(cli, tmp_path):
    p = write(tmp_path, "deep.yaml", "modifiers: " + "[" * 3000 + "]" * 3000 + "\n")
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and codes_of(r)[0] in ("RS004", "RS013")


def test_billion_laughs(cli, tmp_path):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines.append("modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: 1.0")
    p = write(tmp_path, "lol.yaml", "\n".join(lines) + "\n")
    start = time.perf_counter()
    r = cli("validate", p, "--format", "json")
    assert time.perf_counter() - start < 5
    assert r.code == 1 and codes_of(r) == ["RS009"]


def test_tabs(cli, tmp_path):
    p = write(tmp_path, "tabs.yaml", "modifiers:\n\t- !EpochRangeModifier\n")
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and codes_of(r) == ["RS004"]
    assert diags(r)[0]["line"] == 2 and "tab" in diags(r)[0]["message"]


@pytest.mark.parametrize("content, fragment", [
    ("- !EpochRangeModifier\n  start_epoch: 0.0\n  end_epoch: 1.0\n", "bare list"),
    ("just a string\n", "single value"),
    ("42\n", "single value"),
])
def test_document_is_a_list_or_a_scalar(cli, tmp_path, content, fragment):
    p = write(tmp_path, "shape.yaml", content)
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and "RS106" in codes_of(r)
    assert fragment in diags(r)[0]["message"]


@pytest.mark.parametrize("expr, code", [
    ("__import__('os').system('touch PWNED')", "RS303"),
    ("__import__('os')", "RS303"),
    ("().__class__.__bases__", "RS303"),
    ("(lambda: 1)()", "RS303"),
    ("[x for x in range(3)]", "RS303"),
    ("10**10**10", "RS304"),
])
def test_eval_injection(cli, tmp_path, expr, code):
    p = write(tmp_path, "inj.yaml",
              f"x: \"eval({expr})\"\nmodifiers:\n  - !EpochRangeModifier\n"
              "    start_epoch: 0.0\n    end_epoch: 1.0\n")
    start = time.perf_counter()
    r = cli("validate", p, "--format", "json", cwd=tmp_path)
    assert time.perf_counter() - start < 5
    assert r.code == 1 and codes_of(r) == [code]
    assert diags(r)[0]["line"] == 1
    assert not (tmp_path / "PWNED").exists()


def test_unknown_tag_suggests(cli, tmp_path):
    p = write(tmp_path, "tag.yaml", "modifiers:\n  - !MagnutidePruningModifier\n"
              "    params: __ALL_PRUNABLE__\n")
    r = cli("validate", p, "--format", "json")
    assert r.code == 1 and codes_of(r) == ["RS101"]
    d = diags(r)[0]
    assert (d["line"], d["column"]) == (2, 5)
    assert "MagnitudePruningModifier" in d["help"]


def test_missing_file_is_exit_2(cli, tmp_path):
    r = cli("validate", tmp_path / "nope.yaml")
    assert r.code == 2 and "no such file" in r.err
    assert "Traceback" not in r.err + r.out


def test_directory_without_recipes_is_exit_2(cli, tmp_path):
    (tmp_path / "README.md").write_text("# not a recipe\n")
    (tmp_path / "ci.yaml").write_text("jobs: {}\n")
    r = cli("validate", tmp_path)
    assert r.code == 2 and "no recipe files" in r.err


def test_unreadable_directory_argument_as_file(cli, tmp_path):
    r = cli("finalize", tmp_path)
    assert r.code == 2 and "directory" in (r.err + r.out)


def test_finalize_refuses_broken_recipe_and_writes_nothing(cli, tmp_path):
    p = write(tmp_path, "b.yaml", "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 2.0\n"
              "    end_epoch: 1.0\n")
    out = tmp_path / "out.yaml"
    r = cli("finalize", p, "-o", out)
    assert r.code == 1 and not out.exists()
    assert "RS204" in r.err


def test_bad_var_option_is_a_usage_error(cli, tmp_path):
    p = write(tmp_path, "v.yaml", "n: 1.0\nmodifiers:\n  - !EpochRangeModifier\n"
              "    start_epoch: 0.0\n    end_epoch: eval(n)\n")
    r = cli("validate", p, "--var", "novalue")
    assert r.code == 2 and "NAME=VALUE" in r.err
    r = cli("validate", p, "--vars", "[1, 2]")
    assert r.code == 2 and "JSON object" in r.err
