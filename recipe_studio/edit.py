"""Shared helpers for the commands that rewrite recipe files (`scale`, `format`, `new`).

Two ways of changing a recipe live here:

* **position-exact text edits** (:class:`TextEdit`, :func:`apply_text_edits`): a value is
  replaced between two offsets of the file text taken from the positioned YAML tree
  (:mod:`recipe_studio.yamltree`), so every other byte — comments, anchors, quotes, key
  order, blank lines, Markdown prose — is left exactly as written. `scale` uses these.
* **ruamel.yaml round trip** (:func:`round_trip_yaml`): load and re-emit the whole
  document with a canonical layout, keeping comments, anchors, tags and quotes. `format`
  uses it (re-indenting is what it is for), and checks afterwards that the recipe still
  means the same thing.

Numbers are written back in YAML 1.1 form (the dialect PyYAML, and so SparseML, reads):
a float always has a `.` and a signed exponent, so `1.0e-05` rather than `1e-05`, which
YAML 1.1 reads as a string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recipe_studio.diagnostics import Span
    from recipe_studio.source import Source
    from recipe_studio.yamltree import YNode, YScalar


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace `text[start:end]` (0-based offsets into the whole file text) by `new`."""

    start: int
    end: int
    new: str


class EditConflict(ValueError):
    """Two edits overlap (a bug in the caller: edits must be disjoint)."""


def apply_text_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply disjoint edits; raises :class:`EditConflict` when two of them overlap."""
    ordered = sorted(set(edits))
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise EditConflict(f"overlapping edits at offsets {a.start}-{a.end} and "
                               f"{b.start}-{b.end}")
    out: list[str] = []
    pos = 0
    for e in ordered:
        if e.start < pos or e.end > len(text) or e.start > e.end:
            raise EditConflict(f"edit {e.start}-{e.end} is outside the text")
        out.append(text[pos:e.start])
        out.append(e.new)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


# ---- positions --------------------------------------------------------------------------

def span_offsets(source: Source, span: Span) -> tuple[int, int]:
    """0-based file offsets of a 1-based :class:`Span`."""
    return source.offset(span.line, span.column), source.offset(span.end_line, span.end_column)


def scalar_value_offsets(source: Source, node: YScalar) -> tuple[int, int]:
    """File offsets of a scalar's own text, after any `&anchor` and `!tag` properties."""
    text = source.yaml_text
    i, end = node.start, node.end
    while i < end and text[i] in "&!":
        while i < end and not text[i].isspace():
            i += 1
        while i < end and text[i] in " \t\n":
            i += 1
    return source.start + i, source.start + end


def node_offsets(source: Source, node: YNode) -> tuple[int, int]:
    """File offsets of a node including its properties."""
    return source.start + node.start, source.start + node.end


# ---- numbers ---------------------------------------------------------------------------

def clean_float(value: float, digits: int = 12) -> float:
    """`value` without binary noise: 0.30000000000000004 → 0.3, 99.99999999999999 → 100.0."""
    if not math.isfinite(value) or value == 0:
        return float(value)
    return float(f"{value:.{digits}g}")


def yaml_float(value: float) -> str:
    """A float as YAML 1.1 text that PyYAML reads back as the same float."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(float(value))
    if "e" in text:
        mant, exp = text.split("e")
        if "." not in mant:
            mant += ".0"
        if exp[0] not in "+-":
            exp = "+" + exp
        return f"{mant}e{exp}"
    if "." not in text:
        text += ".0"
    return text


def yaml_number(value: float | int, *, integer: bool) -> str:
    """`value` as YAML text: an int when `integer` and the value is whole, else a float."""
    if integer and float(value).is_integer() and math.isfinite(value):
        return str(int(value))
    return yaml_float(float(value))


def python_number(value: float | int, *, integer: bool) -> str:
    """`value` as a Python literal for an `eval(...)` expression (never negative)."""
    if integer and float(value).is_integer():
        return str(int(value))
    text = repr(float(value))
    return text


# ---- scalars ---------------------------------------------------------------------------

_PLAIN_UNSAFE = re.compile(r"(^[\s\-?:,\[\]{}#&*!|>'\"%@`])|(: )|( #)|(\s$)|(:$)")


def scalar_text(content: str, style: str | None) -> str:
    """YAML text for the string `content` in the quoting `style` of the original scalar
    (`None`/`""` plain, `'` single-quoted, `"` double-quoted); plain falls back to single
    quotes when `content` cannot be written plain."""
    if style == '"':
        escaped = content.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if style == "'" or (style in (None, "") and _PLAIN_UNSAFE.search(content)):
        return "'" + content.replace("'", "''") + "'"
    return content


# ---- text facts used by tests and proofs ------------------------------------------------

def comment_texts(text: str) -> list[str]:
    """Every YAML comment of `text` (`# ...` to the end of the line), in order.

    A `#` starts a comment at the start of a line or after whitespace, outside quotes;
    good enough to compare the comments of two versions of a recipe.
    """
    out = []
    for line in text.splitlines():
        quote: str | None = None
        prev = " "
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"" and (prev in " \t[{,:" or i == 0):
                quote = ch
            elif ch == "#" and prev in " \t":
                out.append(line[i:].rstrip())
                break
            prev = ch
    return out


def restore_newlines(text: str, newline: str, bom: bool) -> str:
    """Text with `\\n` newlines back in a file's own newline style (and BOM)."""
    if newline != "\n":
        text = text.replace("\n", newline)
    return ("\ufeff" if bom else "") + text


def read_for_edit(path: str) -> tuple[Source, str]:
    """A recipe file and its exact original text (own newlines and BOM), for an edit that
    must come out byte-identical when nothing changes. Raises SourceError."""
    from recipe_studio.source import read_source

    source = read_source(path)
    return source, restore_newlines(source.text, source.newline, source.bom)


def line_of(source: Source, file_offset: int) -> int:
    """1-based line of a file offset."""
    return source.position(file_offset)[0]


def words(items: Sequence[Any]) -> str:
    """`a`, `a and b`, `a, b and c` (for messages)."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---- ruamel.yaml round trip ---------------------------------------------------------------

def round_trip_yaml(*, mapping: int = 2, sequence: int = 4, offset: int = 2,
                    width: int = 4096) -> Any:
    """A ruamel.yaml round-trip loader/dumper set up for SparseML recipes.

    Quotes are preserved, duplicate keys are accepted (PyYAML keeps the last, and the
    loader reports them), and the layout is `key:` / `  - !Modifier` / `    field: value`,
    the indentation of SparseML's own recipes. ruamel 0.18+ writes a tagged block mapping
    inside a sequence on the dash line (`- !Tag key: value`), which tags the *key*
    instead of the mapping; the emitter below puts the mapping on the next line.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.emitter import Emitter
    from ruamel.yaml.events import MappingStartEvent

    class RecipeEmitter(Emitter):  # type: ignore[misc]
        def expect_block_mapping(self) -> None:
            event = self.event
            tagged = isinstance(event, MappingStartEvent) and (
                (event.tag is not None and not event.implicit) or event.anchor is not None)
            if tagged and not self.mapping_context and self.column != 0:
                self.write_line_break()
                self.no_newline = False  # else the next key is written on this line
            super().expect_block_mapping()

    yaml = YAML(typ="rt")
    yaml.Emitter = RecipeEmitter
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = True
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.width = width
    return yaml
