"""The one line index (`read.source.LineIndex`) and the one recipe pattern (`read.detect`),
and that the places that used to keep their own use them."""

from __future__ import annotations

import pytest

from recipe_studio.cli.batch import lines_getter
from recipe_studio.cli.discover import looks_like_recipe as discovered
from recipe_studio.lsp.analysis import analyze
from recipe_studio.lsp.analysis import looks_like_recipe as lsp_looks_like_recipe
from recipe_studio.read import detect
from recipe_studio.read.source import LineIndex, from_text

TEXT = "a: 1\n\nbé: [x, y]\nlast"


def test_positions_and_offsets_round_trip():
    index = LineIndex(TEXT)
    assert index.line_count == 4 == len(index.lines)
    for offset in range(len(TEXT) + 1):
        assert index.offset(*index.position(offset)) == offset
    assert index.position(TEXT.index("é")) == (3, 2)  # code points, not bytes
    assert [index.line_text(n) for n in range(0, 6)] == ["", "a: 1", "", "bé: [x, y]", "last", ""]
    assert index.lines == TEXT.split("\n")


def test_out_of_range_positions_are_clamped():
    index = LineIndex(TEXT)
    assert index.position(-5) == (1, 1)
    assert index.position(10_000) == index.position(len(TEXT))
    assert index.offset(0, 0) == 0
    assert index.offset(99, 1) == TEXT.rindex("\n") + 1
    assert index.offset(1, 99) == len(TEXT)  # past the line end: clamped to the text only


def test_an_empty_span_is_one_character_wide():
    index = LineIndex(TEXT)
    span = index.span(5, 5)
    assert (span.line, span.column, span.end_line, span.end_column) == (2, 1, 2, 2)


def test_source_lsp_and_cli_share_the_index():
    source = from_text(TEXT + "\n", path="r.yaml")
    assert source.position(7) == source.index.position(7)
    analysis = analyze("modifiers:\n  - !EpochRangeModifier\n    end_epoch: 2\n", "/x/r.yaml")
    assert analysis.source is not None and analysis.index is analysis.source.index
    assert analysis.lines is analysis.source.index.lines
    get = lines_getter(TEXT)
    assert get is not None and [get(n) for n in range(0, 6)] == \
        [LineIndex(TEXT).line_text(n) for n in range(0, 6)]
    assert lines_getter(None) is None


@pytest.mark.parametrize("text, expected", [
    ("modifiers:\n  - !GMPruningModifier\n", True),
    ("x:\n  - !EpochRangeModifier {end_epoch: 1}\n", True),
    ("stage:\n  quant:\n    GPTQModifier:\n      targets: Linear\n", True),
    ("- {QuantizationModifier: {}}\n", True),
    ("pruning_modifiers: []\n", True),
    ("stage:\n  training_modifiers:\n", True),
    ("on: [push]\njobs: {}\n", False),
    ("# Modifiers\nSome text about modifier lists.\n", False),
])
def test_one_pattern_for_discovery_and_the_language_server(tmp_path, text, expected):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    assert detect.looks_like_recipe(text) is expected
    assert discovered(path) is expected
    assert lsp_looks_like_recipe(text, str(path)) is expected
