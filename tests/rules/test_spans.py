"""Spans end where the token ends.

Over every case of every rule (tests/rules/cases): no diagnostic's span runs onto another
line unless it covers exactly one YAML node that itself spans lines (a block mapping, a
multi-line flow collection or string). An underline from a `---` into the next line, or a
block mapping's span ending at the start of the following line, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recipe_studio.read.yamltree import trimmed_end as _trimmed_end
from recipe_studio.read.yamltree import walk

from .test_cases import CASES, run_case


def _node_spans(recipe) -> set[tuple[int, int]]:
    """File offsets (start, end) of every key and value node, trailing blanks trimmed."""
    src = recipe.source
    out: set[tuple[int, int]] = set()
    if recipe.doc is None or recipe.doc.root is None:
        return out
    text = src.yaml_text
    nodes = []
    for node in walk(recipe.doc.root):
        nodes.append(node)
        nodes.extend(p.key for p in getattr(node, "pairs", ()))
    for node in nodes:
        out.add((src.start + node.start, src.start + _trimmed_end(text, node.start, node.end)))
    return out


def _crossing(case, tmp_path: Path) -> list[str]:
    found, ctx = run_case(case, tmp_path)
    if ctx is None or ctx[0].source is None:
        return []
    recipe = ctx[0]
    src = recipe.source
    nodes = None
    bad = []
    for d in found:
        s = d.span
        if s.end_line == s.line:
            continue
        a, b = src.offset(s.line, s.column), src.offset(s.end_line, s.end_column)
        if nodes is None:
            nodes = _node_spans(recipe)
        if (a, b) not in nodes:
            bad.append(f"{d.short()} spans {src.text[a:b]!r}")
    return bad


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_span_stays_on_its_token(case, tmp_path: Path) -> None:
    assert _crossing(case, tmp_path) == []


def test_the_check_sees_a_span_running_onto_the_next_line(tmp_path: Path) -> None:
    """The check can fail: a span from `---` to the next line's start is caught."""
    from recipe_studio.diagnostics import Span
    from recipe_studio.read.load import load

    path = tmp_path / "r.yaml"
    path.write_text("modifiers: []\n---\nb: 2\n")
    recipe = load(path)
    src = recipe.source
    a = src.offset(2, 1)
    assert (a, a + 3) not in _node_spans(recipe)  # `---` is no node: only one line allowed
    assert Span(2, 1, 3, 2) != recipe.diagnostics[0].span
    assert recipe.diagnostics[0].span == Span(2, 1, 2, 4)
