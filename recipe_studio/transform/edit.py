"""Shared helpers for the commands that rewrite recipe files (`scale`, `format`, `new`).

Two ways of changing a recipe live here:

* **position-exact text edits** (:class:`~recipe_studio.diagnostics.Edit`, the one edit
  type, applied by :func:`~recipe_studio.diagnostics.apply_edits`): a value is replaced
  between two offsets of the file text taken from the positioned YAML tree
  (:mod:`recipe_studio.read.yamltree`), so every other byte — comments, anchors, quotes, key
  order, blank lines, Markdown prose — is left exactly as written. `scale` and `lint --fix`
  use these, through :func:`edit_original` (the file's own line endings and BOM).
* **ruamel.yaml round trip** (:func:`round_trip_yaml`): load and re-emit the whole
  document with a canonical layout, keeping comments, anchors, tags and quotes. `format`
  uses it (re-indenting is what it is for), and checks afterwards that the recipe still
  means the same thing.

Numbers are written back in YAML 1.1 form (the dialect PyYAML, and so SparseML, reads):
a float always has a `.` and a signed exponent, so `1.0e-05` rather than `1e-05`, which
YAML 1.1 reads as a string.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Edit, apply_edits
from recipe_studio.read.source import BOM
from recipe_studio.numbers import yaml_float

if TYPE_CHECKING:
    from recipe_studio.diagnostics import Span
    from recipe_studio.read.source import Source
    from recipe_studio.read.yamltree import YNode, YScalar


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


# ---- newlines: edits keep the file's own bytes ------------------------------------------
#
# Every offset of the recipe core refers to `Source.text`, the file's text with each line
# ending (`\r\n`, `\r` or `\n`) written as one `\n` and without a BOM (reading strips them
# in one place, `read.source.split_original`). Within a line the two texts are equal,
# so an edit at a `\n`-offset lands at a known place of the original text: edits are
# applied there (:func:`edit_original_text`), and every byte they do not touch — mixed
# CRLF/LF endings, CR-only endings, a BOM — stays as it was. A `\n` inside new text becomes
# the ending of the line where the edit starts (the file's most common ending on a last line
# without one).

_LINE_END = re.compile(r"\r\n|\r|\n")


def _split_bom(original: str) -> tuple[str, str]:
    return (BOM, original[1:]) if original.startswith(BOM) else ("", original)


def _common_ending(endings: Sequence[str]) -> str:
    """The most frequent line ending (the first seen on a tie; `\n` when there is none)."""
    if not endings:
        return "\n"
    counts: dict[str, int] = {}
    for e in endings:
        counts[e] = counts.get(e, 0) + 1
    return max(counts, key=lambda e: (counts[e], -endings.index(e)))


def edit_original_text(original: str, normalized: str, edits: Iterable[Edit]) -> str:
    """Apply `edits` (offsets into `normalized`, the `\n` form of `original` without its
    BOM) to `original` itself. Raises ValueError if `normalized` is not that form, and
    :class:`~recipe_studio.diagnostics.EditConflict` for overlapping edits."""
    bom, body = _split_bom(original)
    ends = [m.span() for m in _LINE_END.finditer(body)]
    if len(ends) != normalized.count("\n") or len(body) - len(normalized) != sum(
            b - a - 1 for a, b in ends):
        raise ValueError("the edited text is not the original text's `\\n` form")
    norm_starts = [0]
    norm_starts.extend(m.end() for m in re.finditer("\n", normalized))
    raw_starts = [0] + [b for _, b in ends]
    default = _common_ending([body[a:b] for a, b in ends])

    def line(offset: int) -> int:
        return bisect.bisect_right(norm_starts, offset) - 1

    def to_raw(offset: int) -> int:
        i = line(offset)
        return raw_starts[i] + offset - norm_starts[i]

    def ending(offset: int) -> str:
        i = line(offset)
        return body[ends[i][0]:ends[i][1]] if i < len(ends) else default

    raw = [Edit(to_raw(e.start), to_raw(e.end), e.text.replace("\n", ending(e.start))
                if "\n" in e.text else e.text) for e in edits]
    return bom + apply_edits(body, raw)


def edit_original(source: Source, edits: Iterable[Edit]) -> str:
    """`source.original` with `edits` (offsets into `source.text`) applied, byte for byte
    outside them."""
    return edit_original_text(source.original, source.text, edits)


def restore_newlines(new_text: str, source: Source) -> str:
    """`new_text` (a rewrite of `source.text` with `\n` newlines, e.g. by the formatter)
    in the file's own line endings and BOM.

    With one line-ending style (or none) every `\n` becomes it. With mixed endings, the
    lines are matched with the original's (a line diff): an unchanged line keeps its own
    ending, and so does a moved one (the formatter reorders fields); a rewritten line takes
    the ending of the line it replaces, an added line the one of the line before it.
    """
    bom, body = _split_bom(source.original)
    endings = [m.group() for m in _LINE_END.finditer(body)]
    if len(set(endings)) <= 1:
        newline = endings[0] if endings else "\n"
        return bom + (new_text if newline == "\n" else new_text.replace("\n", newline))
    import difflib

    old_lines = source.text.split("\n")
    new_lines = new_text.split("\n")
    default = _common_ending(endings)
    opcodes = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    moved: dict[str, list[int]] = {}  # old lines that are not kept in place, by content
    for tag, i1, i2, _j1, _j2 in opcodes:
        if tag != "equal":
            for i in range(i1, i2):
                moved.setdefault(old_lines[i], []).append(i)
    source_line: list[int | None] = [None] * len(new_lines)
    used: set[int] = set()
    for tag, i1, _i2, j1, j2 in opcodes:  # kept and moved lines: their own ending
        for j in range(j1, j2):
            if tag == "equal":
                source_line[j] = i1 + j - j1
            elif moved.get(new_lines[j]):
                source_line[j] = moved[new_lines[j]].pop(0)
                used.add(source_line[j])
    for tag, i1, i2, j1, j2 in opcodes:  # rewritten lines: the ending of the line replaced
        if tag == "equal":
            continue
        free = [i for i in range(i1, i2) if i not in used]
        for j in range(j1, j2):
            if source_line[j] is None:
                if free:
                    source_line[j] = free.pop(0) if len(free) > 1 else free[0]
                else:  # an added line: the ending of the line before
                    source_line[j] = max(i1 - 1, 0)
    out = [endings[i] if i is not None and i < len(endings) else default
           for i in source_line]
    # the last new line has no ending of its own
    return bom + "".join(line + end for line, end in zip(new_lines, out[:-1])) + new_lines[-1]


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
