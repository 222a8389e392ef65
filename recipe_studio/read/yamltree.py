"""Positioned YAML tree, read with SparseML's own YAML rules.

SparseML parses recipes with PyYAML's pure-Python `yaml.safe_load` (YAML 1.1: `1e-5` is a
string, `yes` is a boolean, duplicate keys keep the last value). This module composes an
event stream into :class:`YNode` objects itself, so that it can keep what PyYAML throws
away: where each alias is *used*, every duplicate key, the exact text offsets of tags.
Composition is iterative and bounded (depth, alias expansion), so hostile input cannot
hang it.

The events come from libyaml's C parser (`CSafeLoader`, ten times faster) unless the text
holds something on which libyaml and PyYAML's pure-Python scanner disagree (measured, see
:data:`PURE_PYTHON_NEEDED`); then they come from the pure-Python `SafeLoader`, so the
verdict is always the one SparseML gets.

Offsets are 0-based character offsets into the YAML part of the :class:`Source`; turn
them into file spans with :meth:`Source.span`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml
from yaml.constructor import SafeConstructor

from recipe_studio.read import codes
from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Related, Severity
from recipe_studio.read.source import Source

try:  # libyaml bindings; PyYAML wheels ship them, the pure-Python parser is the fallback
    from yaml import CSafeLoader as _FastLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _FastLoader  # type: ignore[assignment]

#: Where libyaml and PyYAML's pure-Python reader/scanner (SparseML's) read a text differently,
#: each measured by comparing both loaders' events over random texts (tests/core and
#: tests/property assert that outside these patterns the two event streams are identical):
#:
#: * a tab: the pure-Python scanner accepts it only in quoted and block scalars and comments
#:   (libyaml also after `key:`, after a value, in flow collections, inside plain scalars);
#: * a surrogate code point, or a double-quoted escape of one (`"\ud800"`): only the
#:   pure-Python scanner accepts the escape; libyaml cannot even encode the raw character;
#: * a byte-order mark anywhere (pure-Python reads one inside the text as content);
#: * a block scalar header followed by `#` without a space (`|#`): pure-Python refuses it;
#: * a `!` that does not start a simple tag (`!name`, `!!name`, `!handle!name`): a bare `!`
#:   makes an empty value null in pure-Python and `''` in libyaml; tags with `,[]{}`, or
#:   with `!` after other characters, are read differently;
#: * a `?` in a text with a flow collection (`[a?b]`: pure-Python ends a plain scalar at `?`
#:   inside brackets and braces), and a `:` that makes a pair inside a flow sequence.
_PURE_PYTHON_ALTERNATIVES = (
    r"[\t\ufeff\ud800-\udfff]",
    r"\\(?:u[dD][89a-fA-F]|U0000[dD][89a-fA-F])",
    r"[|>][-+0-9]*#",
    r"!(?!(?:!|[\w-]*!)?[\w.\-/:]+(?:\s|$))",
)
PURE_PYTHON_NEEDED = re.compile("|".join(_PURE_PYTHON_ALTERNATIVES))
#: the same alternatives, searched one by one (together a third of the alternation's time:
#: each one scans for its own first character)
_PURE_PYTHON_SEARCHES = tuple(re.compile(p).search for p in _PURE_PYTHON_ALTERNATIVES)


#: inside a flow sequence, a `:` followed by a space or a flow indicator (`[a: 1]`, `[a:]`):
#: pure-Python makes a single-pair mapping where libyaml errs, or marks it differently
_FLOW_COLON = re.compile(r"\[[^\]]*:[\s,\[\]{}]|:[,\[\]{}]")


def needs_pure_python(text: str) -> bool:
    """True when libyaml might not read `text` as PyYAML's pure-Python loader does."""
    for search in _PURE_PYTHON_SEARCHES:  # PURE_PYTHON_NEEDED.search(text), faster
        if search(text):
            return True
    if "[" not in text and "{" not in text:
        return False
    return "?" in text or _FLOW_COLON.search(text) is not None


def loader_for(text: str, *, bom_removed: bool = False) -> type:
    """The PyYAML loader class that reads `text` exactly as SparseML's `yaml.safe_load`.

    `bom_removed`: the text's own byte-order mark was already taken off, so a second one
    at its start is content (PyYAML skips only the stream's first character).
    """
    if bom_removed and text.startswith("\ufeff"):
        return _BomIsContentLoader
    return yaml.SafeLoader if needs_pure_python(text) else _FastLoader


class _BomIsContentLoader(yaml.SafeLoader):
    """PyYAML's pure-Python SafeLoader without its skip of a leading byte-order mark."""

    def scan_to_next_token(self) -> None:  # PyYAML's, minus the `\ufeff` at index 0
        found = False
        while not found:
            while self.peek() == " ":
                self.forward()
            if self.peek() == "#":
                while self.peek() not in "\0\r\n\x85\u2028\u2029":
                    self.forward()
            if self.scan_line_break():
                if not self.flow_level:
                    self.allow_simple_key = True
            else:
                found = True

#: Deeper nesting than this is not a recipe.
MAX_DEPTH = 100
#: Nodes after expanding every alias (a "billion laughs" document expands to 10**9).
MAX_EXPANDED_NODES = 1_000_000

STR = "tag:yaml.org,2002:str"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
MERGE = "tag:yaml.org,2002:merge"
VALUE = "tag:yaml.org,2002:value"
STD_PREFIX = "tag:yaml.org,2002:"


@dataclass(eq=False, slots=True)
class YNode:
    """A YAML node. `tag` is the explicit tag as written (`!GMPruningModifier`), else None."""

    tag: str | None
    start: int
    end: int
    anchor: str | None = None
    #: offset of the explicit tag token (`!` of `!Name`), when there is one
    tag_start: int = -1
    #: number of nodes once every alias below is expanded
    size: int = 1

    @property
    def custom_tag(self) -> str | None:
        """The tag when it is not a standard YAML one (i.e. a modifier-style `!Name`)."""
        if self.tag is not None and not self.tag.startswith(STD_PREFIX):
            return self.tag
        return None


@dataclass(eq=False, slots=True)
class YScalar(YNode):
    value: Any = None
    raw: str = ""
    style: str | None = None
    resolved: str = STR


@dataclass(eq=False, slots=True)
class YRef:
    """A child position: the node, and where it was written (an alias use, or the node)."""

    node: YNode
    start: int
    end: int
    alias: str | None = None


@dataclass(eq=False, slots=True)
class YSeq(YNode):
    items: list[YRef] = field(default_factory=list)
    flow: bool = False


@dataclass(eq=False, slots=True)
class YPair:
    key: YNode
    value: YRef
    merged: bool = False  # came in through a `<<` merge key


@dataclass(eq=False, slots=True)
class YMap(YNode):
    #: the pairs as written, merge keys included
    pairs: list[YPair] = field(default_factory=list)
    flow: bool = False
    _entries: list[tuple[Any, YPair]] | None = field(default=None, repr=False)

    def entries(self) -> list[tuple[Any, YPair]]:
        """Effective (key value, pair) list with PyYAML semantics.

        Merge keys are flattened (merged pairs first, own pairs override), and for a
        repeated key the *last* value wins while the key keeps its first position, exactly
        as `dict` construction in PyYAML's SafeConstructor.
        """
        if self._entries is None:
            pairs = self.pairs
            for pair in pairs:  # most mappings have no merge key: their pairs as written
                if pair.key.__class__ is YScalar and pair.key.resolved == MERGE:
                    pairs = _flatten_merges(self)
                    break
            out: dict[Any, YPair] = {}
            for pair in pairs:  # a scalar key by its value, any other by its identity
                key = pair.key
                out[key.value if key.__class__ is YScalar else ("<complex key>", id(key))] = pair
            self._entries = list(out.items())
        return self._entries

    def get(self, key: Any) -> YPair | None:
        for k, p in self.entries():
            if k == key and type(k) is type(key):
                return p
        return None

    def keys(self) -> list[Any]:
        return [k for k, _ in self.entries()]


def _flatten_merges(node: YMap, _seen: set[int] | None = None) -> list[YPair]:
    seen = _seen if _seen is not None else set()
    if id(node) in seen:
        return []
    seen.add(id(node))
    merge: list[YPair] = []
    own: list[YPair] = []
    for pair in node.pairs:
        if isinstance(pair.key, YScalar) and pair.key.resolved == MERGE:
            value = pair.value.node
            if isinstance(value, YMap):
                merge.extend(YPair(p.key, p.value, True) for p in _flatten_merges(value, seen))
            elif isinstance(value, YSeq):
                sub: list[list[YPair]] = []
                for item in value.items:
                    if isinstance(item.node, YMap):
                        sub.append(_flatten_merges(item.node, seen))
                for pairs in reversed(sub):
                    merge.extend(YPair(p.key, p.value, True) for p in pairs)
        else:
            own.append(pair)
    return merge + own


def trimmed_end(text: str, start: int, end: int) -> int:
    """A node's end without the blank lines and comment lines PyYAML counts into a block
    collection (its end mark is where the next token starts)."""
    end = min(end, len(text))
    while end > start:
        stripped = text[start:end].rstrip()
        end = start + len(stripped)
        last = stripped.rfind("\n")
        if last >= 0 and stripped[last + 1:].lstrip().startswith("#"):
            end = start + last
            continue
        break
    return end


def to_python(node: YNode | None, _memo: dict[int, Any] | None = None) -> Any:
    """Plain Python value of a node, as PyYAML's safe_load builds it (tags dropped).

    Aliased nodes become the same Python object, as in PyYAML.
    """
    if node is None:
        return None
    if node.__class__ is YScalar:  # (a scalar is never in the memo: it is its value)
        return node.value
    memo = _memo if _memo is not None else {}
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, YScalar):
        return node.value
    # the collection is in the memo before its items are converted (aliases within)
    if isinstance(node, YSeq):
        out_list: list[Any] = []
        memo[id(node)] = out_list
        for i in node.items:
            item = i.node
            out_list.append(item.value if item.__class__ is YScalar else to_python(item, memo))
        return out_list
    assert isinstance(node, YMap)
    out: dict[Any, Any] = {}
    memo[id(node)] = out
    for key, pair in node.entries():
        value = pair.value.node
        out[key] = value.value if value.__class__ is YScalar else to_python(value, memo)
    return out


@dataclass
class YamlDoc:
    """The result of parsing: the root node (None if unusable) and what went wrong."""

    root: YNode | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    anchors: dict[str, YNode] = field(default_factory=dict)
    #: every alias use: (anchor name, start, end)
    alias_uses: list[tuple[str, int, int]] = field(default_factory=list)
    #: nodes with a non-standard tag (`!Name`), in document order
    tagged: list[YNode] = field(default_factory=list)
    #: scalars whose text contains `!` (candidates for SparseML's in-string tag rewrite)
    bang_scalars: list[YScalar] = field(default_factory=list)
    #: (start, end) offsets of every explicit tag token (`!Name`, `!!float`, `!`)
    tag_tokens: list[tuple[int, int]] = field(default_factory=list)
    #: nodes with a non-standard tag, by the offset of their tag
    tag_nodes: dict[int, YNode] = field(default_factory=dict)
    #: every node once, in the order of :func:`walk` (the composer records them as it
    #: makes them); None: not recorded, :meth:`all_nodes` walks the tree
    nodes: list[YNode] | None = field(default=None, repr=False)

    def all_nodes(self) -> list[YNode]:
        """Every node of the tree once, in document order (as :func:`walk` yields them)."""
        if self.nodes is None:
            self.nodes = list(walk(self.root))
        return self.nodes

    @property
    def ok(self) -> bool:
        return self.root is not None


_CONSTRUCTOR = SafeConstructor()


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_BOOL_VALUES = SafeConstructor.bool_values
#: node kinds PyYAML's SafeConstructor accepts for the collection tags (others: scalars)
_STD_TAG_KINDS = {SEQ: "sequence", "tag:yaml.org,2002:omap": "sequence",
                  "tag:yaml.org,2002:pairs": "sequence", MAP: "mapping",
                  "tag:yaml.org,2002:set": "mapping"}


def _scalar_value(tag: str, value: str, style: str | None) -> Any:
    # fast paths for the common cases, identical to PyYAML's constructors on these inputs
    if tag == STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _BOOL_VALUES[value.lower()]
    # (isdecimal: the digits int() reads; isdigit also holds for `²`, which int() rejects)
    if tag == _INT and value.isdecimal() and (value[0] != "0" or len(value) == 1):
        return int(value)
    if tag == _FLOAT and ":" not in value and "_" not in value and value[-1:].isdigit():
        try:  # float() rejects some texts the constructor reads (`!!float --1`: 1.0)
            return float(value)
        except ValueError:
            pass
    fn = _CONSTRUCTOR.yaml_constructors.get(tag)
    if fn is None or not tag.startswith(STD_PREFIX):
        return value
    node = yaml.ScalarNode(tag, value, style=style)
    return fn(_CONSTRUCTOR, node)


#: a run of non-whitespace characters (the rest of a tag token)
_NON_SPACE = re.compile(r"\S*")


class _Fail(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def parse_yaml(source: Source) -> YamlDoc:
    """Parse the YAML part of a source into a positioned tree.

    Never raises for bad input: problems are returned as diagnostics, with the root set to
    None when the document cannot be used.
    """
    composer = _Composer(source)
    try:
        root = composer.compose()
    except _Fail as f:
        return YamlDoc(None, [*composer.diagnostics, f.diagnostic], composer.anchors,
                       composer.alias_uses)
    except yaml.MarkedYAMLError as e:
        return YamlDoc(None, [*composer.diagnostics, yaml_error_diagnostic(source, e)],
                       composer.anchors, composer.alias_uses)
    except (ValueError, OverflowError) as e:  # pure-Python: `"\\U00110000"` (chr() fails)
        return YamlDoc(None, [*composer.diagnostics, codes.YAML_SYNTAX.diag(
            f"invalid escape in a double-quoted string ({e})", source.span(0, 0),
            path=source.path)])
    except yaml.YAMLError as e:  # reader errors (control characters) have no MarkedYAMLError
        mark = getattr(e, "position", None)
        span = source.span(mark, mark + 1) if isinstance(mark, int) else None
        msg = str(e).splitlines()[0] if str(e) else "invalid YAML"
        return YamlDoc(None, [*composer.diagnostics,
                              codes.YAML_SYNTAX.diag(msg, span, path=source.path)])
    return YamlDoc(root, composer.diagnostics, composer.anchors, composer.alias_uses,
                   composer.tagged, composer.bang_scalars, composer.tag_tokens,
                   {n.tag_start: n for n in composer.tagged}, composer.nodes)


def yaml_error_diagnostic(source: Source, e: yaml.MarkedYAMLError, *,
                          prefix: str = "") -> Diagnostic:
    """Turn a PyYAML error into a diagnostic at the file position of its problem mark."""
    mark = e.problem_mark or e.context_mark
    text = source.yaml_text
    if mark is not None and mark.index < len(text) and text[mark.index] == "\t":
        return tab_diagnostic(source, mark.index, e, prefix=prefix)
    problem = e.problem or e.context or "invalid YAML"
    problem = problem.replace("\t", "\\t")
    message = problem
    if e.context and e.problem and e.context != e.problem:
        message = f"{problem} ({e.context}"
        if e.context_mark is not None and e.problem_mark is not None \
                and e.context_mark.line != e.problem_mark.line:
            line = source.position(source.start + e.context_mark.index)[0]
            message += f" started on line {line}"
        message += ")"
    span = source.span(mark.index, mark.index + 1) if mark is not None else None
    return codes.YAML_SYNTAX.diag(prefix + message, span, path=source.path)


def tab_diagnostic(source: Source, at: int, e: yaml.MarkedYAMLError, *,
                   prefix: str = "") -> Diagnostic:
    """A tab where SparseML's YAML reader refuses one, with what it says and a fix."""
    text = source.yaml_text
    end = at
    while end < len(text) and text[end] == "\t":
        end += 1
    said = (e.problem or e.context or "").replace("\t", "\\t")
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:at], text[end:line_end]
    fix = None
    if not after.strip(" \t"):  # trailing whitespace (or a blank line): remove it
        a = line_start + len(before.rstrip(" \t"))
        fix = Fix("Remove the trailing whitespace",
                  (Edit(source.start + a, source.start + line_end, ""),))
    elif before.strip():  # between two tokens, or inside a plain value
        fix = Fix("Replace the tab with a space",
                  (Edit(source.start + at, source.start + end, " "),), safe=False)
    where = ("indents this line" if not before.strip() else "ends this line"
             if not after.strip(" \t") else "sits between tokens")
    return codes.YAML_SYNTAX.diag(
        prefix + f"a tab character {where}; SparseML's YAML reader (PyYAML) refuses it: "
        f"\"{said}\"", source.span(at, end), path=source.path,
        help="YAML allows tabs only inside quoted strings, block scalars and comments; "
             "use spaces", fix=fix)


_RESOLVED: dict[str, str] = {}


def _resolve_plain(loader: Any, value: str) -> str:
    """PyYAML's implicit resolution of a plain scalar, memoised (keys and values repeat)."""
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = loader.resolve(yaml.ScalarNode, value, (True, False))
        if len(_RESOLVED) < 50_000:
            _RESOLVED[value] = tag
    return tag


class _Composer:
    """Events → YNodes, with alias tracking, duplicate keys and resource limits."""

    def __init__(self, source: Source):
        self.source = source
        self.text = source.yaml_text
        self.loader: Any = None
        self.anchors: dict[str, YNode] = {}
        self.open_anchors: set[str] = set()
        self.alias_uses: list[tuple[str, int, int]] = []
        self.diagnostics: list[Diagnostic] = []
        self.tagged: list[YNode] = []
        self.bang_scalars: list[YScalar] = []
        self.tag_tokens: list[tuple[int, int]] = []
        #: every node made, in document order (that of `walk`)
        self.nodes: list[YNode] = []

    def span(self, start: int, end: int):
        return self.source.span(start, end)

    def fail(self, code: codes.Code, message: str, start: int, end: int, **kw: Any) -> _Fail:
        return _Fail(code.diag(message, self.span(start, end), path=self.source.path, **kw))

    def compose(self) -> YNode | None:
        # the pure-Python reader checks the characters here (ReaderError)
        bom_removed = self.source.bom and self.source.start == 0
        loader = self.loader = loader_for(self.text, bom_removed=bom_removed)(self.text)
        try:
            loader.get_event()  # StreamStart
            if loader.check_event(yaml.StreamEndEvent):
                return None
            loader.get_event()  # DocumentStart
            root = self._compose_document()
            loader.get_event()  # DocumentEnd
            if not loader.check_event(yaml.StreamEndEvent):
                ev = loader.get_event()
                start = ev.start_mark.index
                # the `---` token itself (an implicit start: the rest of its line)
                line_end = self.text.find("\n", start)
                line_end = len(self.text) if line_end < 0 else line_end
                end = min(max(ev.end_mark.index, start + 1), line_end) \
                    if ev.end_mark.index > start else line_end
                raise self.fail(
                    codes.MULTIPLE_DOCUMENTS,
                    "a second YAML document starts here; SparseML expects a single document",
                    start, end,
                    help="remove the `---` separator (in a `.yaml` file, front-matter "
                         "delimiters are not stripped) or split the recipe into files")
            return root
        finally:
            loader.dispose()

    def _tag_start(self, ev: Any) -> int:
        if not ev.tag:
            return -1
        i = ev.start_mark.index
        j = self.text.find("!", i, ev.end_mark.index + 1 if ev.end_mark.index > i else i + 1)
        if j < 0:
            j = self.text.find("!", i)
        if j >= 0:  # the token runs to the next whitespace (str.isspace's, as `\S`'s)
            self.tag_tokens.append((j, _NON_SPACE.match(self.text, j).end()))
        return j

    def _compose_document(self) -> YNode:
        """Iterative composition: a stack of open containers.

        One event loop, one branch per event kind, kept in one function on purpose (longer
        than the project's ~80 lines): it is the hot path of every load (a few hundred
        thousand events over a corpus), so the branches share locals instead of helpers:
        attaching a child to its parent is written out in each branch, and the common plain
        scalar (no tag, a string or a number) takes the shortest path.
        """
        loader = self.loader
        get_event = loader.get_event
        resolved_of = _RESOLVED.get
        nodes = self.nodes
        tagged = self.tagged
        # open containers: [node, is a mapping, the pending key of a mapping (None: none)]
        stack: list[list[Any]] = []
        top: list[Any] | None = None
        root: YNode | None = None
        ScalarEvent, AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
        SequenceStartEvent, MappingStartEvent = yaml.SequenceStartEvent, yaml.MappingStartEvent
        SequenceEndEvent, MappingEndEvent = yaml.SequenceEndEvent, yaml.MappingEndEvent

        while stack or root is None:
            ev = get_event()
            cls = ev.__class__
            if cls is ScalarEvent:
                raw = ev.value
                tag = ev.tag
                start, end = ev.start_mark.index, ev.end_mark.index
                if tag is None and ev.implicit[0]:  # a plain scalar: the common case
                    resolved = resolved_of(raw) or _resolve_plain(loader, raw)
                    tag_start = -1
                else:
                    resolved = tag
                    if tag is None or tag == "!":
                        if ev.implicit[0]:
                            resolved = _resolve_plain(loader, raw)
                        else:
                            resolved = loader.resolve(yaml.ScalarNode, raw, ev.implicit)
                        tag = None
                    if tag is not None and tag.startswith(STD_PREFIX):
                        self._check_std_tag(tag, "scalar", ev)
                    # the token of any tag written (a bare `!` too) is recorded
                    tag_start = self._tag_start(ev)
                    if not tag:
                        tag_start = -1
                if resolved == STR:
                    value = raw
                # _scalar_value's fast paths for numbers, inlined (the common non-strings)
                # (isdecimal as there; float() only on a resolved float, which it always reads)
                elif resolved == _INT and raw.isdecimal() and (raw[0] != "0" or len(raw) == 1):
                    value = int(raw)
                elif resolved == _FLOAT and tag is None and ":" not in raw and \
                        "_" not in raw and raw[-1:].isdigit():
                    # resolved (not tagged `!!float`): the resolver's pattern, which float()
                    # reads as the constructor does
                    value = float(raw)
                else:
                    try:
                        value = _scalar_value(resolved, raw, ev.style)
                    except Exception as e:  # noqa: BLE001 - what SafeConstructor raises on bad text
                        msg = getattr(e, "problem", None) or str(e)
                        raise self.fail(codes.YAML_SYNTAX,
                                        f"cannot read `{raw}` as {resolved.rsplit(':', 1)[-1]}: "
                                        f"{msg}", start, end) from None
                    if (resolved == VALUE or resolved == MERGE) and not (
                            top is not None and top[1] and top[2] is None):
                        # PyYAML resolves a plain `=` / `<<` to the value / merge tag, which
                        # SafeConstructor builds only as a mapping key
                        raise self.fail(codes.YAML_SYNTAX, "could not determine a constructor "
                                        f"for the tag '{resolved}' (a plain `{raw}` that is "
                                        "not a mapping key)", start, end,
                                        help=f"quote it: `'{raw}'`")
                anchor = ev.anchor
                node: YNode = YScalar(tag, start, end, anchor, tag_start, 1, value, raw,
                                      ev.style, resolved)
                nodes.append(node)
                if anchor:
                    self._register(node)
                if tag is not None and not tag.startswith(STD_PREFIX):
                    tagged.append(node)
                elif "!" in raw:
                    self.bang_scalars.append(node)
                if top is None:
                    root = node
                elif not top[1]:
                    top[0].items.append(YRef(node, start, end))
                elif top[2] is None:
                    top[2] = node
                else:
                    top[0].pairs.append(YPair(top[2], YRef(node, start, end)))
                    top[2] = None
                continue
            if cls is AliasEvent:
                name = ev.anchor
                start, end = ev.start_mark.index, ev.end_mark.index
                if name not in self.anchors:
                    raise self.fail(codes.YAML_SYNTAX, f"found undefined alias `*{name}`",
                                    start, end, help=f"define `&{name}` before this line")
                if name in self.open_anchors:
                    raise self.fail(codes.ALIAS_BOMB,
                                    f"alias `*{name}` refers to a node that contains it "
                                    "(a recursive structure)", start, end)
                self.alias_uses.append((name, start, end))
                node = self.anchors[name]
                if top is None:
                    root = node
                elif not top[1]:
                    top[0].items.append(YRef(node, start, end, name))
                elif top[2] is None:
                    top[2] = node
                else:
                    top[0].pairs.append(YPair(top[2], YRef(node, start, end, name)))
                    top[2] = None
                continue
            if cls is SequenceStartEvent or cls is MappingStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(codes.TOO_DEEP,
                                    f"the YAML nests deeper than {MAX_DEPTH} levels",
                                    ev.start_mark.index, ev.end_mark.index)
                tag = ev.tag if ev.tag not in (None, "!") else None
                is_map = cls is MappingStartEvent
                if tag is not None and tag.startswith(STD_PREFIX):
                    self._check_std_tag(tag, "mapping" if is_map else "sequence", ev)
                node = (YMap if is_map else YSeq)(
                    tag=tag, start=ev.start_mark.index, end=ev.end_mark.index,
                    anchor=ev.anchor, tag_start=self._tag_start(ev) if ev.tag else -1,
                    flow=bool(ev.flow_style))
                nodes.append(node)
                if ev.anchor:
                    self._register(node)
                    self.open_anchors.add(ev.anchor)
                if tag is not None and not tag.startswith(STD_PREFIX):
                    tagged.append(node)
                top = [node, is_map, None]
                stack.append(top)
                continue
            if cls is SequenceEndEvent or cls is MappingEndEvent:
                node = stack.pop()[0]
                top = stack[-1] if stack else None
                if ev.end_mark.index > node.end:
                    node.end = ev.end_mark.index
                if node.anchor:
                    self.open_anchors.discard(node.anchor)
                self._finish(node)
                if top is None:
                    root = node
                elif not top[1]:
                    top[0].items.append(YRef(node, node.start, node.end))
                elif top[2] is None:
                    top[2] = node
                else:
                    top[0].pairs.append(YPair(top[2], YRef(node, node.start, node.end)))
                    top[2] = None
                continue
            raise self.fail(codes.YAML_SYNTAX, f"unexpected YAML event {type(ev).__name__}",
                            ev.start_mark.index, ev.end_mark.index)
        assert root is not None
        return root

    def _check_std_tag(self, tag: str, kind: str, ev: Any) -> None:
        """PyYAML's SafeConstructor on an explicit `!!type`: known, and for this node kind."""
        if tag in (MERGE, VALUE):
            return
        if tag not in _CONSTRUCTOR.yaml_constructors:
            raise self.fail(codes.YAML_SYNTAX, f"could not determine a constructor for the tag "
                            f"`{tag}`", ev.start_mark.index, ev.end_mark.index)
        wants = _STD_TAG_KINDS.get(tag, "scalar")
        if kind not in wants:
            raise self.fail(codes.YAML_SYNTAX, f"the tag `!!{tag[len(STD_PREFIX):]}` expects a "
                            f"{wants.split('|')[0]} node, but this is a {kind}",
                            ev.start_mark.index, ev.end_mark.index)

    def _register(self, node: YNode) -> None:
        if not node.anchor:
            return
        first = self.anchors.get(node.anchor)
        if first is not None:
            line = self.span(first.start, first.end).line
            raise self.fail(codes.YAML_SYNTAX,
                            f"found duplicate anchor `&{node.anchor}` (first defined on line "
                            f"{line})", node.start, node.end,
                            related=[Related(self.span(first.start, first.end),
                                             "first definition")],
                            help="give each anchor a unique name")
        self.anchors[node.anchor] = node

    def _finish(self, node: YNode) -> None:
        if node.__class__ is YSeq:
            size = 1
            for i in node.items:
                size += i.node.size
            node.size = size
            if node.items and node.items[-1].end > node.end:
                node.end = node.items[-1].end
        elif node.__class__ is YMap:
            size = 1
            for p in node.pairs:
                size += p.key.size + p.value.node.size
            node.size = size
            if node.pairs and node.pairs[-1].value.end > node.end:
                node.end = node.pairs[-1].value.end
            self._check_keys(node)
        if node.size > MAX_EXPANDED_NODES:
            raise self.fail(codes.ALIAS_BOMB,
                            f"aliases here expand to more than {MAX_EXPANDED_NODES:,} nodes "
                            "(an alias bomb)", node.start, min(node.end, node.start + 1),
                            help="a recipe never needs this; remove the nested aliases")

    def _check_keys(self, node: YMap) -> None:
        seen: dict[Any, YPair] = {}
        for pair in node.pairs:
            key = pair.key
            if key.__class__ is not YScalar:
                raise self.fail(codes.YAML_SYNTAX,
                                "a mapping key is itself a list or mapping (an unhashable key)",
                                key.start, key.end)
            if key.resolved == MERGE:
                v = pair.value.node
                ok = isinstance(v, YMap) or (
                    isinstance(v, YSeq) and all(isinstance(i.node, YMap) for i in v.items))
                if not ok:
                    raise self.fail(codes.YAML_SYNTAX,
                                    "a merge key `<<` needs a mapping or a list of mappings",
                                    pair.value.start, pair.value.end)
                continue
            k = key.value
            try:
                prev = seen.get(k)
            except TypeError:
                raise self.fail(codes.YAML_SYNTAX, "unhashable mapping key",
                                key.start, key.end) from None
            if prev is not None:
                first = self.span(prev.key.start, prev.key.end)
                same = _same_value(prev.value.node, pair.value.node)
                if same:
                    message = (f"duplicate key `{key.raw}` (first on line {first.line}), with "
                               "the same value")
                else:
                    message = (f"duplicate key `{key.raw}` (first on line {first.line}); SparseML "
                               "silently keeps only this last value and ignores the first")
                self.diagnostics.append(codes.DUPLICATE_KEY.diag(
                    message, self.span(key.start, key.end), path=self.source.path,
                    help="remove one of the two entries",
                    related=[Related(first, "first occurrence")],
                    severity=Severity.WARNING if same else None))
            seen[k] = pair


def _same_value(a: YNode, b: YNode) -> bool:
    if a is b:
        return True
    try:
        return to_python(a) == to_python(b) and type(a) is type(b)
    except RecursionError:  # pragma: no cover - recursive aliases are refused earlier
        return False


def walk(node: YNode | None) -> Iterator[YNode]:
    """Every node once (aliases are not re-entered)."""
    if node is None:
        return
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        if isinstance(n, YSeq):
            stack.extend(i.node for i in reversed(n.items))
        elif isinstance(n, YMap):
            for p in reversed(n.pairs):
                stack.append(p.value.node)
                stack.append(p.key)
