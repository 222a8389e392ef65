"""The parts of `recipe-studio format` shared by the classic and the stage-recipe formatter
(:mod:`recipe_studio.transform.format`, :mod:`recipe_studio.transform.stage_format`): the
result and error types, ruamel round-trip helpers that keep anchors and comments, key
reordering, comment re-indentation, blank lines, and the checks that the formatted text
reads back as the same document."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from recipe_studio.diagnostics import Diagnostic
from recipe_studio.numbers import yaml_float
from recipe_studio.transform.edit import round_trip_yaml
from recipe_studio.models import catalog


class FormatError(Exception):
    """The recipe cannot be formatted safely; nothing should be written."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics or []


@dataclass
class FormatResult:
    #: the formatted recipe in the file's own line endings and BOM (what is written)
    text: str
    changed: bool
    #: the recipe before and after, with `\n` newlines and no BOM (what a diff shows)
    before: str = ""
    after: str = ""


def _diagnostics(source: Any) -> list[Diagnostic]:
    from recipe_studio.read.yamltree import parse_yaml

    return parse_yaml(source).diagnostics


def _document(source: Any) -> Any:
    from recipe_studio.read.yamltree import parse_yaml

    doc = parse_yaml(source)
    if doc.root is None:
        errors = [d for d in doc.diagnostics if d.severity.value == "error"]
        raise FormatError("the YAML cannot be read: " + (errors[0].message if errors else
                                                          "empty document"), errors)
    return _tagged(doc.root, {})


def _tagged(node: Any, memo: dict[int, Any]) -> Any:
    """The node as PyYAML builds it, with custom tags kept: `('!Tag', value)`."""
    from recipe_studio.read.yamltree import YMap, YScalar, YSeq

    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, YScalar):
        value: Any = node.value
    elif isinstance(node, YSeq):
        value = [_tagged(i.node, memo) for i in node.items]
    else:
        assert isinstance(node, YMap)
        value = {_key(k): _tagged(p.value.node, memo) for k, p in node.entries()}
    out = (node.custom_tag, value) if node.custom_tag else value
    memo[id(node)] = out
    return out


def _key(k: Any) -> Any:
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        return k
    return ("num", float(k))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# ---- the ruamel.yaml pass ------------------------------------------------------------------

def _format_yaml(text: str) -> str:
    return round_trip_format(text, lambda data, shared: _walk(data, None, None, shared),
                             rejoin_tag_comments=True)


def round_trip_format(text: str, arrange: Callable[[Any, set[int]], None], *,
                      width: int | None = None, rejoin_tag_comments: bool = False) -> str:
    """The ruamel.yaml pass both formatters share: read `text` round-trip (an explicit `---`
    kept), keep every anchor, let `arrange(data, shared_comments)` reorder and restyle the
    data in place, write it back and put comments and blank lines where they were."""
    from ruamel.yaml.error import YAMLError

    yaml = round_trip_yaml() if width is None else round_trip_yaml(width=width)
    yaml.representer.add_representer(float, _represent_float)
    if re.match(r"(?:[ \t]*(?:#[^\n]*)?\n)*---", text):
        yaml.explicit_start = True  # keep an explicit `---` document start
    try:
        data = yaml.load(text)
    except YAMLError as e:
        raise FormatError(f"ruamel.yaml cannot read this YAML: {str(e).splitlines()[0]}") \
            from None
    if data is None:
        return text
    _keep_anchors(data, set())
    arrange(data, _shared_comments(data, set(), set(), set()))
    out = io.StringIO()
    try:
        yaml.dump(data, out)
    except YAMLError as e:  # pragma: no cover - a document ruamel read, it can write
        raise FormatError(f"ruamel.yaml cannot write this YAML back: {e}") from None
    dumped = out.getvalue()
    if rejoin_tag_comments:
        dumped = _rejoin_tag_comments(text, dumped)
    return _blank_lines(_reindent_comments(text, dumped))


def _represent_float(representer: Any, value: float) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:float", yaml_float(value))


def _keep_anchors(node: Any, seen: set[int]) -> None:
    """ruamel drops anchors nothing refers to; a recipe's anchors are kept."""
    if id(node) in seen:
        return
    seen.add(id(node))
    anchor = getattr(node, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        anchor.always_dump = True
    if isinstance(node, dict):
        for v in node.values():
            _keep_anchors(v, seen)
    elif isinstance(node, list):
        for v in node:
            _keep_anchors(v, seen)


def _shared_comments(node: Any, seen_nodes: set[int], seen: set[int], shared: set[int]
                     ) -> set[int]:
    """Comment tokens that ruamel attaches to an alias as well as to its anchor (the same
    token object): at the alias they are not the alias key's, and must be left in place
    (ruamel writes the anchored value's comment from whichever key it saw last)."""
    if id(node) in seen_nodes:
        return shared
    seen_nodes.add(id(node))
    ca = getattr(node, "ca", None)
    if ca is not None and isinstance(node, (dict, list)):
        for slot in ca.items.values():
            for entry in slot:
                for tok in (entry if isinstance(entry, list) else [entry]):
                    if tok is not None:
                        (shared if id(tok) in seen else seen).add(id(tok))
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) \
        else ()
    for child in children:
        _shared_comments(child, seen_nodes, seen, shared)
    return shared


def _tag_of(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag)
    if isinstance(value, str) and value.startswith("!") and not value.startswith("!!"):
        return value
    return None


def _walk(node: Any, parent: Any, index: Any, shared: set[int]) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        tag = _tag_of(node)
        if tag is not None and isinstance(parent, CommentedSeq):
            _item_comments(node, parent, index)
        if tag is not None:
            _modifier(node, tag, parent, index, shared)
        for key in list(node.keys()):
            _walk(node[key], node, key, shared)
    elif isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            _walk(item, node, i, shared)


def _item_comments(node: Any, seq: Any, index: int) -> None:
    """ruamel keeps the comments between `- !Tag` and the first key on the list item and
    writes them *above* the item; make them comments before the first key instead (the
    comment at the end of the tag's own line stays: `_rejoin_tag_comments` puts it back)."""
    slot = seq.ca.items.get(index)
    if not slot or len(slot) < 2 or not slot[1] or not len(node):
        return
    tag_line = getattr(node.lc, "line", None)
    keep, move = [], []
    for tok in slot[1]:
        line = getattr(tok.start_mark, "line", None)
        # before the `- ` line (line < tag line) or at its end (==): the item's own
        (keep if line is None or tag_line is None or line <= tag_line else move).append(tok)
    if not move:
        return
    slot[1] = keep or None
    first = next(iter(node))
    fslot = node.ca.items.setdefault(first, [None, None, None, None])
    while len(fslot) < 4:
        fslot.append(None)
    fslot[1] = move + (fslot[1] or [])


def _modifier(node: Any, tag: str, parent: Any, index: Any, shared: set[int]) -> None:
    name = catalog.normalize_tag(tag)
    model = catalog.model_for(name, [k for k in node if isinstance(k, str)])
    if model is None:
        return
    if node.fa.flow_style():
        node.fa.set_block_style()
    epoch = set(model.epoch_fields()) - set(model.ignored_fields())
    from ruamel.yaml.scalarint import ScalarInt

    for key in list(node.keys()):
        value = node[key]
        if key in epoch and isinstance(value, int) and not isinstance(value, bool) and \
                (not isinstance(value, ScalarInt) or not value.anchor.value):
            node[key] = float(value)
    order = list(model.model_fields)
    keys = list(node.keys())
    wanted = sorted(keys, key=lambda k: (order.index(k) if k in order else len(order),
                                         keys.index(k)))
    if wanted != keys:
        _reorder(node, keys, wanted, parent, index, shared)


def _reorder(node: Any, keys: list[Any], wanted: list[Any], parent: Any, index: Any,
             shared: set[int]) -> None:
    """Reorder a mapping; each full-line comment moves with the key below it.

    ruamel stores the comment lines between two keys after the first key's value (with its
    end-of-line comment); they are moved to the second key as comments *before* it. The
    comment between a `- !Tag` line and the first key lives on the list item; it moves too.
    """
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    def slot_of(key: Any) -> list[Any]:
        slot = node.ca.items.setdefault(key, [None, None, None, None])
        while len(slot) < 4:
            slot.append(None)
        return slot

    def anchored(key: Any) -> bool:
        # ruamel writes a comment after an anchored (or aliased) value where the anchor is,
        # whichever key it was attached to: such keys keep their comment as it is
        anchor = getattr(node[key], "anchor", None)
        return bool(getattr(anchor, "value", None))

    eol: dict[Any, Any] = {}
    leading: dict[Any, str] = {k: "" for k in keys}
    trailing = ""
    for pos, key in enumerate(keys):
        slot = node.ca.items.get(key)
        if slot and len(slot) > 1 and slot[1]:
            leading[key] += "".join(_line_of(t) for t in slot[1])
        tok = slot[2] if slot and len(slot) > 2 else None
        rest = ""
        if tok is not None and anchored(key) and id(tok) not in shared and \
                tok.value.rstrip("\n").count("\n") > (0 if tok.value.startswith("#") else -1):
            return  # comment lines after an anchored value cannot move: keep the order
        if tok is None or id(tok) in shared or anchored(key):
            eol[key] = tok  # an alias's copy of its anchor's comment stays as it is
        elif tok.value.startswith("#"):
            head, _, rest = tok.value.partition("\n")
            eol[key] = CommentToken(head + "\n", tok.start_mark, None)
        else:
            eol[key] = None
            rest = tok.value[1:] if tok.value.startswith("\n") else tok.value
        if pos + 1 < len(keys):
            leading[keys[pos + 1]] = rest + leading[keys[pos + 1]]
        else:
            trailing = rest
    last = wanted[-1]
    if trailing and anchored(last):
        return  # nowhere to put what follows the mapping: keep the order as written
    # no blank line between `- !Tag` and the first field (ruamel would move it to the
    # previous item on the next run)
    first_lines = leading[wanted[0]].splitlines(keepends=True)
    while first_lines and not first_lines[0].strip():
        first_lines.pop(0)
    while first_lines and not first_lines[-1].strip():
        first_lines.pop()
    leading[wanted[0]] = "".join(first_lines)
    for key in wanted:
        node.move_to_end(key)
    for key in wanted:
        slot = slot_of(key)
        if not anchored(key):
            slot[2] = eol[key]
        lines = leading[key].splitlines(keepends=True)
        tokens = []
        for line in lines:
            stripped = line.lstrip(" ")
            col = len(line) - len(stripped) if stripped.startswith("#") else 0
            tokens.append(CommentToken(stripped if stripped.startswith("#") else "\n",
                                       CommentMark(col), None))
        slot[1] = tokens or None
    if trailing:
        slot = slot_of(last)
        head = slot[2].value if slot[2] is not None else "\n"
        mark = slot[2].start_mark if slot[2] is not None else CommentMark(0)
        slot[2] = CommentToken(head + trailing, mark, None)


def _line_of(tok: Any) -> str:
    value = tok.value
    if value.startswith("#"):
        col = getattr(tok, "column", None) or 0
        return " " * col + value if value.endswith("\n") else " " * col + value + "\n"
    return value


_COMMENT = re.compile(r"^(\s*)#")
_TAG_LINE = re.compile(r"^(\s*- (![^\s{\[#]+))(\s+)(#.*)$")


def _rejoin_tag_comments(before: str, after: str) -> str:
    """ruamel writes the comment at the end of a `- !Tag  # comment` line on a line of its
    own above the item; put it back at the end of the tag's line."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for line in before.split("\n"):
        m = _TAG_LINE.match(line)
        if m:
            wanted.setdefault((m.group(2), m.group(4).rstrip()), []).append(
                len(m.group(1)) + len(m.group(3)))
    if not wanted:
        return after
    lines = after.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        comment = line.strip()
        if comment.startswith("#") and i + 1 < len(lines):
            nxt = lines[i + 1]
            m = re.match(r"^(\s*- (![^\s{\[#]+))\s*$", nxt)
            if m and wanted.get((m.group(2), comment)):
                col = wanted[(m.group(2), comment)].pop(0)
                head = m.group(1)
                out.append(head + " " * max(2, col - len(head)) + comment)
                i += 2
                continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _reindent_comments(before: str, after: str) -> str:
    """Give every full-line comment the indentation of the content it was aligned with.

    ruamel keeps comment lines exactly as written, so after re-indenting a recipe they no
    longer line up with their fields. For each comment line of the input we note whether
    it was aligned with the next content line or the previous one, and apply the same
    alignment to the output.
    """
    def lines_info(text: str) -> list[tuple[str, int, int | None, int | None]]:
        lines = text.split("\n")
        content = [(i, len(l) - len(l.lstrip(" "))) for i, l in enumerate(lines)
                   if l.strip() and not _COMMENT.match(l)]
        out = []
        for i, line in enumerate(lines):
            m = _COMMENT.match(line)
            if not m:
                continue
            prev = next((ind for j, ind in reversed(content) if j < i), None)
            nxt = next((ind for j, ind in content if j > i), None)
            out.append((line.strip(), len(m.group(1)), prev, nxt))
        return out

    alignment: dict[str, list[str]] = {}
    for text, ind, prev, nxt in lines_info(before):
        how = "next" if ind == nxt else "prev" if ind == prev else \
            "deeper" if prev is not None and ind > prev else "keep"
        alignment.setdefault(text, []).append(how)
    lines = after.split("\n")
    content = [(i, len(l) - len(l.lstrip(" "))) for i, l in enumerate(lines)
               if l.strip() and not _COMMENT.match(l)]
    for i, line in enumerate(lines):
        m = _COMMENT.match(line)
        if not m:
            continue
        key = line.strip()
        hows = alignment.get(key)
        how = hows.pop(0) if hows else "keep"
        prev = next((ind for j, ind in reversed(content) if j < i), None)
        nxt = next((ind for j, ind in content if j > i), None)
        target = {"next": nxt, "prev": prev,
                  "deeper": (prev + 2) if prev is not None else None}.get(how)
        if target is not None:
            lines[i] = " " * target + key
    return "\n".join(lines)


_ITEM = re.compile(r"^(\s*)- !\w")
_ITEM_ONLY = re.compile(r"^\s*- ![^\s{\[]+\s*(#.*)?$")
_TOP_KEY = re.compile(r"^[^\s#-][^:]*:")


def _blank_lines(text: str) -> str:
    """One blank line between two modifiers and before a top-level key that follows an
    indented block (comment lines directly above go with what they precede); no runs of
    blank lines, no whitespace-only lines."""
    lines = ["" if not line.strip() else line for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue  # collapse runs of blank lines
        if not line and out and (_ITEM_ONLY.match(out[-1]) or
                                 out[-1].split(" #")[0].rstrip().endswith(":")):
            continue  # nothing between a `- !Tag` (or `key:`) line and what it opens
        needs = False
        if _ITEM.match(line):
            prev = _last_content(out)
            needs = prev is not None and not prev.rstrip().endswith(":")
        elif _TOP_KEY.match(line):
            prev = _last_content(out)
            needs = prev is not None and prev[:1] in (" ", "-")
        if needs:
            # put the blank line above the comment lines that belong to this line
            at = len(out)
            while at > 0 and out[at - 1].lstrip().startswith("#"):
                at -= 1
            if at > 0 and out[at - 1]:
                out.insert(at, "")
        out.append(line)
    while out and not out[0]:
        out.pop(0)
    return "\n".join(out)


def _last_content(lines: list[str]) -> str | None:
    for line in reversed(lines):
        if line and not line.lstrip().startswith("#"):
            return line
    return None
