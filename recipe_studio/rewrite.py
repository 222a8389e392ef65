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
* `!word` inside strings is rewritten too (`re:^(?!fc)conv` → `re:^(?!pytorch.fc)conv`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from recipe_studio import codes
from recipe_studio.diagnostics import Diagnostic, Edit, Fix
from recipe_studio.source import Source
from recipe_studio.yamltree import YamlDoc, YMap, YNode

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

#: SparseML 1.8's pattern, verbatim (load_recipe_yaml_str_no_classes)
TAG_PATTERN = re.compile(r"!(?P<class_name>(?!.*\.)[a-zA-Z_][a-zA-Z^._0-9]+)")
PYTORCH_PREFIX = "!pytorch."


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
    for start, m in matches.items():
        if start in tag_starts:
            continue
        holder = next((s for s in scalars if s.start <= start < s.end), None)
        text_tags.append(TextTag(start, m.end(), m.group(0), holder))
    needs_reparse = bool(text_tags) or any(_tag_after_content(text, s) for s in tag_starts)
    if needs_reparse:
        try:
            yaml.compose(rewritten(text), Loader=_Loader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line if mark is not None else 0
            # lines are preserved by the rewrite; point at the line's first tag
            line_start = _line_start(text, line)
            line_end = text.find("\n", line_start)
            line_end = len(text) if line_end < 0 else line_end
            bang = text.find("!", line_start, line_end)
            at = bang if bang >= 0 else line_start
            out.append(codes.TAG_REWRITE_BREAKS_YAML.diag(
                "SparseML rewrites `!Name` into `OBJECT.Name:` before parsing, and this line "
                f"then becomes invalid YAML ({e.problem or e.context})",
                source.span(at, max(at + 1, line_end)), path=source.path,
                help="put each tag on its own list item line (`- !Name`), not after a key"))
        except yaml.YAMLError:
            pass
    return out, text_tags


def _line_start(text: str, line: int) -> int:
    pos = 0
    for _ in range(line):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return pos
        pos = nxt + 1
    return pos


def _tag_after_content(text: str, start: int) -> bool:
    """True when something other than indentation and `- ` precedes a tag on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start].replace("-", " ").strip()
    return bool(before)


def _clip(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."
