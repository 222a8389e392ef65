"""SparseML's text-level tag rewrite, simulated so its failures can be reported.

Before parsing, SparseML 1.8 rewrites every `!Name` in the recipe *text* into
`OBJECT.Name:` with the regex below, and later turns it back into `!pytorch.Name`
(sparseml/optim/helpers.py, optim/modifier.py). The regex has a negative look-ahead
`(?!.*\\.)`: a tag is rewritten only if no `.` follows it on the same line. So
(sparseml-recipes.md §2.4, all measured):

* `- !EpochRangeModifier {start_epoch: 0.0, end_epoch: 4.0}` is not rewritten and fails
  with "could not determine a constructor" (the decimals contain dots);
* `key: !Modifier` turns into `key: OBJECT.Modifier:`, invalid YAML;
* an explicit `!pytorch.Name` is never rewritten; in a recipe mapping the object is then
  built by the class-less parse and the re-dump fails;
* `!word` inside strings is rewritten too (`re:^(?!fc)conv` → `re:^(?!pytorch.fc)conv`);
* YAML's own `!!float 1` becomes `!OBJECT.float: 1`, a tag with no constructor;
* `- !Name` whose fields sit left of the tag's column (`-  !Name` over fields indented
  two past the dash): the new `OBJECT.Name:` key is deeper than its fields, and the
  rewritten text does not parse.

The simulation parses the rewritten text whenever the rewrite could change more than a
`- !Name` line over its block of fields, with the same loader SparseML uses
(:func:`yamltree.loader_for`), and maps every failure back to the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from recipe_studio.read import codes
from recipe_studio.diagnostics import Diagnostic, Edit, Fix
from recipe_studio.read.source import Source
from recipe_studio.read.yamltree import YamlDoc, YMap, YNode, YScalar, loader_for, walk

#: SparseML 1.8's pattern, verbatim (load_recipe_yaml_str_no_classes)
TAG_PATTERN = re.compile(r"!(?P<class_name>(?!.*\.)[a-zA-Z_][a-zA-Z^._0-9]+)")
PYTORCH_PREFIX = "!pytorch."
#: what the rewrite puts in place of `!Name`, around the name
_ADDED = len("OBJECT.") + len(":") - len("!")
#: a `- !Name` line the rewrite keeps well-formed: a dash, and nothing after the tag but a
#: comment
_ITEM_PREFIX = re.compile(r" *- +")
_LINE_REST = re.compile(r" *(?:#.*)?")


@dataclass(frozen=True)
class TextTag:
    """A `!word` the rewrite touches that is not a node's tag (inside a string or comment)."""

    start: int
    end: int
    word: str
    in_scalar: YNode | None


def rewritten(text: str) -> str:
    """The class-less text SparseML parses first."""
    return TAG_PATTERN.sub(r"OBJECT.\g<class_name>:", text)


def check(source: Source, doc: YamlDoc) -> tuple[list[Diagnostic], list[TextTag]]:
    """Diagnostics for tags SparseML's rewrite mishandles, and the `!word`s it alters."""
    text = source.yaml_text
    matches = {m.start(): m for m in TAG_PATTERN.finditer(text)} if "!" in text else {}
    out: list[Diagnostic] = []
    tag_starts: set[int] = set()
    root_is_mapping = isinstance(doc.root, YMap) and doc.root.custom_tag is None
    for node in doc.tagged:
        tag = node.custom_tag
        if tag is None or node.tag_start < 0:
            continue
        tag_starts.add(node.tag_start)
        span = source.span(node.tag_start, node.tag_start + len(tag))
        if tag.startswith(PYTORCH_PREFIX):
            if root_is_mapping:
                bare = "!" + tag[len(PYTORCH_PREFIX):]
                out.append(codes.PYTORCH_TAG.diag(
                    f"SparseML 1.8 cannot load the explicit tag `{tag}` in a recipe mapping "
                    "(the re-dump fails with a `python/object` ConstructorError)", span,
                    help=f"write `{bare}`; SparseML adds the `pytorch.` prefix itself",
                    fix=Fix(f"Replace `{tag}` with `{bare}`",
                            (Edit(source.start + node.tag_start,
                                  source.start + node.tag_start + len(tag), bare),)),
                    path=source.path))
            continue
        if node.tag_start not in matches:
            line_end = text.find("\n", node.tag_start)
            rest = text[node.tag_start:line_end if line_end >= 0 else len(text)]
            out.append(codes.TAG_NOT_REWRITTEN.diag(
                f"SparseML will not recognise `{tag}`: its tag rewrite skips a tag followed "
                f"by a `.` on the same line (`{_clip(rest)}`), and loading fails with "
                "\"could not determine a constructor\"", span,
                help="put the fields on their own lines (block style), or write the numbers "
                     "on this line without a decimal point", path=source.path))
    scalars = doc.bang_scalars
    text_tags: list[TextTag] = []
    benign = True
    for start, m in matches.items():
        if start in tag_starts:
            benign = benign and _benign_item(source, doc, start, m.end())
            continue
        benign = False
        if any(a < start < b for a, b in doc.tag_tokens):
            continue  # inside a YAML tag (`!!float`): reported below from the reparse
        holder = next((s for s in scalars if s.start <= start < s.end), None)
        text_tags.append(TextTag(start, m.end(), m.group(0), holder))
    if not benign:
        out.extend(_reparse(source, doc, list(matches.values())))
    if root_is_mapping and ("!!" in text or "tag:" in text):
        out.extend(_redumped_tags(source, doc))
    return out, text_tags


#: values `yaml.dump` writes with a `!!` tag (a set, bytes, the tuples of omap/pairs)
_REDUMPED_TAGS = {"tag:yaml.org,2002:set": "!!set", "tag:yaml.org,2002:binary": "!!binary",
                  "tag:yaml.org,2002:omap": "!!python/tuple",
                  "tag:yaml.org,2002:pairs": "!!python/tuple"}


def _redumped_tags(source: Source, doc: YamlDoc) -> list[Diagnostic]:
    """Values whose re-dump carries a `!!` tag that SparseML's second rewrite mangles.

    SparseML evaluates a recipe mapping and dumps it back to text (`yaml.dump`), then
    rewrites `!word` into `!pytorch.word` before the final parse: a set dumps as `!!set`,
    bytes as `!!binary`, the pairs of `!!omap`/`!!pairs` as `!!python/tuple`, and each
    becomes a `!!pytorch.…` tag that has no constructor.
    """
    out = []
    for node in walk(doc.root):
        dumped = _REDUMPED_TAGS.get(node.tag or "")
        if dumped is None:
            continue
        written = f"!!{node.tag.rsplit(':', 1)[-1]}"
        at = node.tag_start if node.tag_start >= 0 else node.start
        mangled = "!!pytorch." + dumped[2:]
        out.append(codes.YAML_TAG_REWRITTEN.diag(
            f"SparseML dumps the `{written}` value back to text as `{dumped}` after "
            f"evaluating the recipe, and its tag rewrite turns that into `{mangled}`: loading "
            f"fails with \"could not determine a constructor for the tag "
            f"'tag:yaml.org,2002:pytorch.{dumped[2:]}'\"",
            source.span(at, at + (len(written) if node.tag_start >= 0 else 1)),
            path=source.path,
            help="write a plain list or mapping (recipes have no use for sets, binary data "
                 "or ordered maps)"))
    return out


def _benign_item(source: Source, doc: YamlDoc, start: int, end: int) -> bool:
    """True when rewriting the tag at `start` provably keeps the YAML's structure.

    That is a `- !Name` line with nothing after the tag but a comment, over an empty node
    or a block mapping whose keys start at or right of the tag's column (the fields then
    nest under `OBJECT.Name:`, or sit beside it, which SparseML's re-dump puts back).
    """
    text = source.yaml_text
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if not _ITEM_PREFIX.fullmatch(text, line_start, start) or \
            not _LINE_REST.fullmatch(text, end, line_end):
        return False
    node = doc.tag_nodes.get(start)
    if isinstance(node, YScalar):
        return node.value is None and node.raw == ""
    if not isinstance(node, YMap) or node.flow or not node.pairs:
        return False
    key = node.pairs[0].key.start
    key_column = key - (text.rfind("\n", 0, key) + 1)
    return key > line_end and key_column >= start - line_start


def _reparse(source: Source, doc: YamlDoc, matches: list[re.Match[str]]) -> list[Diagnostic]:
    """Parse the rewritten text as SparseML does; what fails, at its original position."""
    text = source.yaml_text
    new = rewritten(text)
    out: list[Diagnostic] = []
    loader = None
    try:
        loader = loader_for(new)(new)
        while not loader.check_event(yaml.StreamEndEvent):
            ev = loader.get_event()
            tag = getattr(ev, "tag", None)
            if tag and "OBJECT." in tag:
                at = _original_offset(matches, ev.start_mark.index)
                at = text.find("!", at) if text.find("!", at) >= 0 else at
                token = text[at:].split(None, 1)[0] if text[at:].strip() else "!"
                out.append(codes.YAML_TAG_REWRITTEN.diag(
                    f"SparseML's tag rewrite turns the YAML tag `{token}` into `{tag}`, and "
                    f"loading fails with \"could not determine a constructor for the tag "
                    f"'{tag}'\"", source.span(at, at + len(token)), path=source.path,
                    help="remove the tag and write the value in the type you mean (`1.0` "
                         "for a float, quotes for a string), or put a `.` later on the line"))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        if e.context_mark is not None and "simple key" in (e.context or ""):
            mark = e.context_mark  # the line that should have been a key (its `:` is missing)
        at = _original_offset(matches, mark.index) if mark is not None else 0
        line_start = text.rfind("\n", 0, at) + 1 if at < len(text) else len(text)
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        bang = text.find("!", line_start, line_end)
        if bang < 0:  # the break shows on a later line: point at the tag that caused it
            prev = [m.start() for m in matches if m.start() < line_start]
            bang = prev[-1] if prev else line_start
            line_start = text.rfind("\n", 0, bang) + 1
            line_end = text.find("\n", bang)
            line_end = len(text) if line_end < 0 else line_end
        said = e.problem or e.context
        node = doc.tag_nodes.get(bang)
        first_key = node.pairs[0].key if isinstance(node, YMap) and node.pairs else None
        key_column = first_key.start - (text.rfind("\n", 0, first_key.start) + 1) \
            if first_key is not None and first_key.start > line_end else -1
        if 0 <= key_column < bang - line_start:
            message = (f"SparseML rewrites `{node.tag}` into `OBJECT.{node.tag[1:]}:` before "
                       f"parsing; its fields (column {key_column + 1}) are then left of that key "
                       f"(column {bang - line_start + 1}) and the text no longer parses "
                       f"({said})")
        else:
            message = ("SparseML rewrites `!Name` into `OBJECT.Name:` before parsing, and this "
                       f"line then becomes invalid YAML ({said})")
        out.append(codes.TAG_REWRITE_BREAKS_YAML.diag(
            message,
            source.span(bang, max(bang + 1, line_end)), path=source.path,
            help="write `- !Name` with its fields on the following lines, indented at least "
                 "to the tag's column (not after a key, not further left than the tag)"))
    except (yaml.YAMLError, ValueError, OverflowError):
        pass
    finally:
        if loader is not None:
            loader.dispose()
    return out


def _original_offset(matches: list[re.Match[str]], index: int) -> int:
    """Offset in the original text of an offset in the rewritten text."""
    shift = 0
    for m in matches:
        new_start = m.start() + shift
        new_end = new_start + len(m.group(0)) + _ADDED
        if index < new_start:
            break
        if index < new_end:
            return m.start()
        shift += _ADDED
    return index - shift


def _clip(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."
