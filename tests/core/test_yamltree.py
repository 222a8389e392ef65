"""The positioned YAML tree follows PyYAML (YAML 1.1) and survives hostile input."""

from __future__ import annotations

import time

import yaml

from recipe_studio.read.source import from_text
from recipe_studio.read.yamltree import YMap, YSeq, parse_yaml, to_python


def parse(text: str, path: str = "r.yaml"):
    return parse_yaml(from_text(text, path=path))


def test_values_match_pyyaml_safe_load():
    text = ("a: 1e-5\nb: 1.0e-5\nc: yes\nd: on\ne: 0x10\nf: 1_000\ng: 1:30\nh: ~\n"
            "i: 2021-01-02\nj: '3'\nk: .inf\nl: [1, 2.5, x]\nm: {n: o}\n")
    doc = parse(text)
    assert not doc.diagnostics
    assert to_python(doc.root) == yaml.safe_load(text)
    assert to_python(doc.root)["a"] == "1e-5"  # YAML 1.1: a string, as SparseML sees it


def test_duplicate_key_is_an_error_at_the_duplicate_and_last_value_wins():
    doc = parse("modifiers:\n  - !X\n    a: 1\n    a: 2\nmodifiers: []\n")
    dup = [d for d in doc.diagnostics if d.code == "RS005"]
    assert [d.short() for d in dup] == ["4:5 RS005", "5:1 RS005"]
    assert "first on line 3" in dup[0].message
    assert to_python(doc.root) == yaml.safe_load("modifiers:\n  - a: 1\n    a: 2\nmodifiers: []\n") | {}
    assert to_python(doc.root) == {"modifiers": []}


def test_merge_keys_and_aliases_resolve_like_pyyaml():
    text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\nref: *b\n"
    doc = parse(text)
    assert not doc.diagnostics
    assert to_python(doc.root) == yaml.safe_load(text)


def test_alias_use_site_is_kept():
    doc = parse("n: &n 10.0\nm:\n  e: *n\n")
    m = doc.root.get("m").value.node
    ref = m.get("e").value
    assert ref.alias == "n" and ref.node is doc.root.get("n").value.node
    assert from_text("n: &n 10.0\nm:\n  e: *n\n").span(ref.start, ref.end).line == 3


def test_tags_and_their_offsets():
    text = "m:\n  - !GMPruningModifier\n    a: 1\n  - &z !EpochRangeModifier {b: 2}\n"
    doc = parse(text)
    items = doc.root.get("m").value.node.items
    assert [i.node.tag for i in items] == ["!GMPruningModifier", "!EpochRangeModifier"]
    assert [text[i.node.tag_start] for i in items] == ["!", "!"]
    assert items[1].node.anchor == "z"


def test_billion_laughs_is_refused_quickly():
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    start = time.perf_counter()
    doc = parse("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0
    assert [d.code for d in doc.diagnostics] == ["RS009"] and doc.root is None


def test_recursive_alias_is_refused():
    doc = parse("a: &a [1, *a]\n")
    assert [d.code for d in doc.diagnostics] == ["RS009"]


def test_deep_nesting_is_an_error_not_a_crash():
    for text in ["[" * 5000 + "]" * 5000, "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 300))]:
        doc = parse(text)
        assert doc.root is None
        assert doc.diagnostics[0].code in ("RS004", "RS013")


def test_tabs_multi_documents_and_syntax_errors_have_positions():
    d = parse("a:\n\tb: 1\n").diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == ("RS004", 2, 1) and "tab" in d.message
    d = parse("a: 1\n---\nb: 2\n").diagnostics[0]
    assert (d.code, d.span.line) == ("RS008", 2)
    d = parse("a: [1, 2\nb: 3\n").diagnostics[0]
    assert d.code == "RS004" and d.span.line == 2
    d = parse("a: *nope\n").diagnostics[0]
    assert d.code == "RS004" and "undefined alias" in d.message
    d = parse("a: &x 1\nb: &x 2\n").diagnostics[0]
    assert d.code == "RS004" and "duplicate anchor" in d.message and d.span.line == 2


def test_markdown_positions_are_file_positions():
    text = "# Title\n\nSome prose.\n\n---\nmodifiers:\n  - !X\n    a: [1\n---\nmore\n"
    doc = parse(text, path="card.md")
    d = doc.diagnostics[0]
    assert d.code == "RS004" and d.span.line == 9  # file line, not front-matter line


def test_empty_document():
    doc = parse("")
    assert doc.root is None and not doc.diagnostics
    doc = parse("# only a comment\n")
    assert doc.root is None and not doc.diagnostics


def test_sequences_and_maps_are_typed():
    doc = parse("a: [1]\nb: {c: 1}\n")
    assert isinstance(doc.root, YMap)
    assert isinstance(doc.root.get("a").value.node, YSeq)


def test_recorded_nodes_are_the_walk_of_the_tree():
    # YamlDoc.nodes (recorded while composing, read by rules instead of walking) must be
    # exactly what `walk` yields: every node once, in document order, aliases not re-entered
    from recipe_studio.read.yamltree import walk

    text = ("base: &b {x: 1, y: [2, &s 3]}\nitem:\n  <<: *b\n  y: *s\nlist:\n  - *b\n"
            "  - !Tag {a: 1, b: [x, {c: d}]}\n  - &m\n    k: v\n  - *m\n")
    doc = parse(text)
    assert not doc.diagnostics and doc.nodes is not None and len(doc.nodes) > 10
    assert [id(n) for n in doc.all_nodes()] == [id(n) for n in walk(doc.root)]
