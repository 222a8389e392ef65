"""`recipe-studio format` on the command line, and over the corpus."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

import recipe_studio.cli.format  # noqa: F401  (registers the command)
from recipe_studio.diff.semantic import diff_recipes
from recipe_studio.transform.edit import comment_texts
from recipe_studio.transform.format import FormatError, format_file, format_text
from recipe_studio.read.load import load
from recipe_studio.read.source import from_text, read_source
from tests.conformance.corpus import CORPUS, classic
from tests.conftest import EXAMPLES


@pytest.fixture
def files(tmp_path):
    for name in ("yolov5-gmp.yaml", "resnet-pruned.md"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


def test_check_lists_files_and_exits_1(cli, files):
    before = {p.name: p.read_text() for p in files.iterdir()}
    r = cli("format", "--check", files)
    assert r.code == 1
    assert sorted(r.out.splitlines()) == [f"would reformat {files / 'resnet-pruned.md'}",
                                          f"would reformat {files / 'yolov5-gmp.yaml'}"]
    assert {p.name: p.read_text() for p in files.iterdir()} == before


def test_format_writes_then_check_passes(cli, files):
    r = cli("format", files / "yolov5-gmp.yaml", files / "resnet-pruned.md")
    assert r.code == 0 and "2 files reformatted" in r.err
    r = cli("format", "--check", files)
    assert r.code == 0 and r.out == "" and "0 files would be reformatted, 2 already" in r.err


def test_diff(cli, files):
    r = cli("format", "--diff", files / "yolov5-gmp.yaml")
    assert r.code == 1 and "+++ b/" in r.out
    assert "+    learning_rate: 0.05\n     start_epoch: 0.0\n-    learning_rate: 0.05\n" in r.out


def test_errors_exit_2(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("modifiers:\n  - !EpochRangeModifier\n    start_epoch: [0\n")
    r = cli("format", bad)
    assert r.code == 2 and "cannot format" in r.err and "Traceback" not in r.err
    assert cli("format", tmp_path / "missing.yaml").code == 2


@pytest.mark.slow
def test_formatting_every_corpus_recipe_keeps_what_sparseml_reads():
    formatted = refused = 0
    problems = []
    for e in classic():
        path = str(CORPUS / e["file"])
        try:
            result = format_file(path)
        except FormatError as err:
            refused += 1
            # refused only for YAML SparseML cannot read, or a duplicate key with two values
            if e["loads"] and "duplicate key" not in err.message:
                problems.append((e["file"], err.message))
            continue
        formatted += 1
        src = read_source(path)
        text = result.text.lstrip("\ufeff").replace("\r\n", "\n")
        if format_text(result.text, path=path) != result.text:
            problems.append((e["file"], "not idempotent"))
        if Counter(comment_texts(text)) != Counter(comment_texts(src.text)):
            problems.append((e["file"], "comments"))
        out = from_text(text, path=src.path, form=src.form)
        if src.form == "md" and (out.text[out.end:] != src.text[src.end:]
                                 or out.text[:out.start] != src.text[:src.start]):
            problems.append((e["file"], "prose"))
        if e["loads"]:
            a = load(path)
            b = load(from_text(text, path=src.path, form=src.form))
            if not diff_recipes(a, b).equivalent:
                problems.append((e["file"], "finalized recipe differs"))
    assert not problems, problems[:5]
    assert formatted >= 381 and refused <= 5
