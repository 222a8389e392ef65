"""The positioned YAML reader against PyYAML's SafeLoader (what SparseML loads with), on
generated hostile documents: anchors and aliases (undefined ones too), merge keys with one
mapping or a list, duplicate keys, complex keys, standard scalar tags (`!!float --1`,
`!!int ²`), YAML 1.1 booleans and numbers, `=` and `<<` as plain values, quoting and block
scalars, comments, BOM, CRLF and deep nesting.

Where `yaml.safe_load` reads the text, `to_python` of the tree equals its result; where it
raises, the reader reports an error diagnostic (and never raises itself). The reader's own
refusals, which PyYAML does not make, are left out of the value comparison: a recursive alias
or an alias bomb (RS009), nesting past `MAX_DEPTH` (RS013) and several documents (RS008).
Collection tags and custom tags are not generated: the reader keeps them for SparseML's
tag rewrite, not for `safe_load`.

Hypothesis runs derandomized, with a bounded number of examples (a few seconds).
"""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_studio.read.source import from_text
from recipe_studio.read.yamltree import parse_yaml, to_python

#: the reader's refusals that PyYAML does not make
DELIBERATE = {"RS008", "RS009", "RS013"}

SCALARS = [
    "1", "-1", "0", "00", "017", "0o17", "0x1F", "0b101", "1_000", "1:30", "-0", "+1",
    "99999999999999999999999999", "1e-5", "1.0e-5", "1e5", "1.5", "-0.5", ".5", "1.", "0.",
    ".inf", "-.Inf", ".NaN", "~", "null", "Null", "", "yes", "no", "on", "off", "Y", "n",
    "true", "False", "2021-01-02", "2001-12-14t21:59:43.10-05:00", "'='", "'<<'",
    "'quoted'", "'it''s'", '"dq\\ttab"', '"\\u00e9"', '"\\x00"', "''", '""', "a b", "a#b",
    "x!y", "ünï", "键", "!!int 3", "!!int '4'", "!!int ١٢", "!!str 5", "!!str", "!!float 6",
    "!!float --1", "!!float +-1", "!!float '  2'", "!!float 1.", "!!float 1:30.5",
    "!!float ١.٥", "!!bool yes", "!!null ''", "!!binary aGVsbG8=", "!!timestamp 2001-12-14",
    "!<tag:yaml.org,2002:str> v",
]
#: scalars SafeLoader refuses (drawn less often: one makes the whole document an error)
BAD_SCALARS = ["=", "<<", "!!int ²", "!!int --1", "!!float 1 2", "!!float 0x2",
               "!!bool maybe", "!!binary '!!'", "!!timestamp nope", "!!merge x"]
KEYS = ["a", "b", "c", "<<", "=", "yes", "no", "on", "1", "01", "1.0", "~", "'a'", '"b"',
        "ü", "!!str 1", "!!int 1", "true", "True", "2021-01-02", "1e-5"]
BLOCK_SCALARS = ["|\n{i}  line1\n{i}  line2\n", ">-\n{i}  fold\n{i}  ed\n", "|+\n{i}  keep\n\n"]


class _Writer:
    """Draws one document, top-down, recording the anchors it has defined."""

    def __init__(self, draw):
        self.draw = draw
        self.anchors: list[str] = []
        self.map_anchors: list[str] = []  # those of mappings (what a merge key takes)

    def anchor(self, mapping: bool = False) -> str:
        if self.draw(st.integers(0, 4)) == 4:
            name = f"a{len(self.anchors)}"
            self.anchors.append(name)
            if mapping:
                self.map_anchors.append(name)
            return f"&{name} "
        return ""

    def merged_alias(self) -> str:
        """Mostly an alias of a mapping; at times any alias."""
        kind = self.draw(st.integers(0, 9))
        if kind == 9:
            return self.alias()
        if self.map_anchors and kind < 6:
            return "*" + self.draw(st.sampled_from(self.map_anchors))
        return "{m: 1, a: 2}"

    def alias(self) -> str:
        # (hypothesis favours small draws: the rare cases are the large ones)
        if self.draw(st.integers(0, 19)) == 19:
            return "*undefined"
        if self.anchors:
            return "*" + self.draw(st.sampled_from(self.anchors))
        return "no-anchor-yet"

    def scalar(self) -> str:
        kind = self.draw(st.integers(0, 29))
        if kind >= 26:
            return self.alias()
        text = self.draw(st.sampled_from(BAD_SCALARS if kind == 25 else SCALARS))
        return text if text.startswith("!") else self.anchor() + text

    def flow(self, depth: int) -> str:
        kind = self.draw(st.integers(0, 2)) if depth < 4 else 0
        if kind == 0:
            return self.scalar()
        n = self.draw(st.integers(0, 3))
        if kind == 1:
            return self.anchor() + "[" + ", ".join(self.flow(depth + 1) for _ in range(n)) + "]"
        items = [f"{self.draw(st.sampled_from(KEYS))}: {self.flow(depth + 1)}" for _ in range(n)]
        if self.draw(st.integers(0, 4)) == 0:
            items.append("<<: " + self.merged_alias())
        return self.anchor(mapping=True) + "{" + ", ".join(items) + "}"

    def block(self, indent: int, depth: int) -> str:
        """The text after a `key:` or `-` (a leading space, ending with a newline)."""
        pad = " " * indent
        kind = self.draw(st.integers(0, 5)) if depth < 5 else 0
        if kind == 0:
            return " " + self.scalar() + "\n"
        if kind == 1:
            return " " + self.draw(st.sampled_from(BLOCK_SCALARS)).replace("{i}", pad)
        if kind == 2:
            return " " + self.flow(depth) + "\n"
        out = (" " + self.anchor(mapping=kind != 3)).rstrip(" ") + "\n"
        if kind == 3:
            for _ in range(self.draw(st.integers(1, 3))):
                out += pad + "-" + self.block(indent + 2, depth + 1)
            return out
        for _ in range(self.draw(st.integers(1, 4))):
            choice = self.draw(st.integers(0, 19))
            if choice >= 17:  # a merge key: one alias, a list of them, or a mapping
                value = self.draw(st.sampled_from(["alias", "list", "map"]))
                merged = (self.merged_alias() if value == "alias" else
                          "{" + ", ".join(f"{k}: {self.flow(depth + 1)}" for k in "ab") + "}"
                          if value == "map" else
                          "[" + ", ".join(self.merged_alias() for _ in range(self.draw(
                              st.integers(1, 3)))) + "]")
                out += f"{pad}<<: {merged}\n"
            elif choice == 16:  # a complex key
                out += f"{pad}? [a, b]\n{pad}:" + self.block(indent + 2, depth + 1)
            elif choice == 15:
                out += f"{pad}# a comment\n"
            else:
                out += pad + self.draw(st.sampled_from(KEYS)) + ":" + \
                    self.block(indent + 2, depth + 1)
        return out


@st.composite
def hostile_documents(draw) -> str:
    writer = _Writer(draw)
    text = writer.block(0, 0)[1:].lstrip("\n")
    frame = draw(st.sampled_from(["", "", "", "bom", "crlf", "markers", "comments", "deep"]))
    if frame == "bom":
        text = "\ufeff" + text
    elif frame == "crlf":
        text = text.replace("\n", "\r\n")
    elif frame == "markers":
        text = "---\n" + text + "...\n"
    elif frame == "comments":
        text = "# head\n" + text + "# tail"
    elif frame == "deep":
        depth = draw(st.integers(90, 110))
        text = "k: " + "[" * depth + "1" + "]" * depth + "\n" + text
    return text


class ClassicMergeLoader(yaml.SafeLoader):
    """SafeLoader with merge keys as PyYAML up to 6.0.1 (and the YAML merge-key spec) read
    them: the reader's reference for `<<`.

    PyYAML 6.0.2 on skips a merged key already merged by the identity of its text
    (`id(key_node.value)`), which depends on CPython's string caching: with single-character
    keys the first of two `<<` keys wins, with longer ones the last (and in `<<: [A, B]` a key
    of both comes from A or from B accordingly). The reader keeps the rule that does not depend
    on it: in one `<<: [A, B]` A's keys win, of two `<<` keys the later one's.
    """

    def flatten_mapping(self, node):
        merge = []
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag == "tag:yaml.org,2002:merge":
                del node.value[index]
                if isinstance(value_node, yaml.MappingNode):
                    self.flatten_mapping(value_node)
                    merge.extend(value_node.value)
                elif isinstance(value_node, yaml.SequenceNode):
                    submerge = []
                    for subnode in value_node.value:
                        if not isinstance(subnode, yaml.MappingNode):
                            raise yaml.constructor.ConstructorError(
                                "while constructing a mapping", node.start_mark,
                                f"expected a mapping for merging, but found {subnode.id}",
                                subnode.start_mark)
                        self.flatten_mapping(subnode)
                        submerge.append(subnode.value)
                    submerge.reverse()
                    for value in submerge:
                        merge.extend(value)
                else:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "expected a mapping or list of mappings for merging, "
                        f"but found {value_node.id}", value_node.start_mark)
            elif key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
                index += 1
            else:
                index += 1
        if merge:
            node.value = merge + node.value


def safe_load(text: str):
    """`yaml.safe_load`, merge keys as :class:`ClassicMergeLoader` reads them."""
    return yaml.load(text, Loader=ClassicMergeLoader)  # noqa: S506 - a SafeLoader


def _same(ours, theirs) -> bool:
    """Equal values of the same types (1, 1.0 and True differ), NaN equal to NaN."""
    if isinstance(ours, float) and isinstance(theirs, float) and \
            math.isnan(ours) and math.isnan(theirs):
        return True
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, dict):
        return list(ours) == list(theirs) and all(_same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    return ours == theirs


def check_against_safe_load(text: str) -> None:
    doc = parse_yaml(from_text(text, path="r.yaml"))  # never raises
    codes = {d.code for d in doc.diagnostics}
    try:
        expected = safe_load(text)
    except Exception as e:  # noqa: BLE001 - whatever SafeLoader raises on this text
        errors = [d for d in doc.diagnostics if d.severity.name.lower() == "error"]
        assert errors, f"safe_load raised {type(e).__name__}: {e}\nthe reader reported nothing"
        return
    if codes & DELIBERATE:
        return
    assert "RS004" not in codes, f"safe_load read {expected!r}; the reader: {doc.diagnostics}"
    ours = to_python(doc.root)
    assert _same(ours, expected), f"safe_load: {expected!r}\nreader:    {ours!r}"


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(hostile_documents())
def test_reader_agrees_with_safe_load_on_hostile_documents(text):
    check_against_safe_load(text)


#: found by the differential fuzz of the faster composer against the one before it (and
#: against SafeLoader): a tagged number that float()/int() reject but the constructor reads,
#: or rejects with its own error
@pytest.mark.parametrize("text", [
    "a: !!float --1\n", "a: !!float +-1\n", "a: !!float - 1\n", "!!float --1 # c\n",
    "a: !!float 1 2\n", "a: !!float 0x10\n", "a: !!int ²\n", "a: !!int ١٢\n",
    "a: !!float ١.٥\n", "a: !!float 1x2\n", "a: [!!float --1, 2]\n",
])
def test_tagged_numbers_read_as_safe_load_reads_them(text):
    check_against_safe_load(text)


@pytest.mark.parametrize(("text", "raw", "kind"), [
    ("a: !!int ²\n", "²", "int"), ("a: !!float 1 2\n", "1 2", "float"),
    ("a: !!float 0x10\n", "0x10", "float"), ("a:\n  - !!float 1x2\n", "1x2", "float"),
])
def test_a_tagged_number_the_constructor_rejects_is_reported_at_the_scalar(text, raw, kind):
    # the faster composer's inlined number paths let float()/int()'s ValueError escape, and it
    # was reported as "invalid escape in a double-quoted string" at 1:1
    doc = parse_yaml(from_text(text, path="r.yaml"))
    [diag] = doc.diagnostics
    assert diag.code == "RS004" and diag.message.startswith(f"cannot read `{raw}` as {kind}: ")
    start = text.index("!!")
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    assert (diag.span.line, diag.span.column) == (line, column)
