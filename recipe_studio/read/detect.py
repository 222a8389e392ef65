"""Does a text look like a SparseML recipe, and if a file that does not load is not one, why.

One pattern answers "looks like a recipe" everywhere it is asked: directory discovery
(`cli/discover.py`, which takes a `.yaml`/`.md` file for a recipe by it), the language
server (which publishes diagnostics only for such documents), and the loader's RS016
(a file that fails to load and has none of it is reported as "not a recipe").
"""

from __future__ import annotations

import os
import re

from recipe_studio.diagnostics import Diagnostic, Related, Span
from recipe_studio.read import codes
from recipe_studio.read.source import Source
from recipe_studio.read.yamltree import YMap, YNode, YSeq

#: what every recipe has: a modifier written as a `!...Modifier` tag, a `...Modifier:` key or
#: a `Modifier: {` flow mapping (the conformance corpus was collected with these three), or a
#: key with `modifiers` in its name (a modifier list, possibly still empty)
#: (a match starts only at a word's start or a line's: linear, not quadratic, on a long word
#: or many blank lines — a 256 KiB head of either took minutes)
_RECIPE_MARK = r"!\w*Modifier|^[^\S\n]*\w*Modifier:|Modifier: \{|\b\w*modifiers\s*:"
RECIPE_MARK = re.compile(_RECIPE_MARK, re.M)
#: the same pattern over the raw bytes of a file's head (discovery reads no more)
RECIPE_MARK_BYTES = re.compile(_RECIPE_MARK.encode(), re.M)
#: how much of a file discovery and the language server look at
HEAD_SIZE = 256 * 1024

#: a key with `modifiers` in its name at the start of a line (after a card's front matter)
_MODIFIERS_KEY = re.compile(r"^[ \t]*([A-Za-z0-9_]*modifiers[A-Za-z0-9_]*)[ \t]*:", re.M)


def looks_like_recipe(text: str) -> bool:
    """Whether the first :data:`HEAD_SIZE` characters mention a modifier or a modifier list."""
    return bool(RECIPE_MARK.search(text[:HEAD_SIZE]))


def head_looks_like_recipe(head: bytes) -> bool:
    """:func:`looks_like_recipe` over the first bytes of a file."""
    return bool(RECIPE_MARK_BYTES.search(head[:HEAD_SIZE]))


def not_a_recipe(src: Source, diagnostics: list[Diagnostic], *, single_value: bool
                 ) -> Diagnostic | None:
    """One RS016 instead of a baffling YAML or structure error, for a file that does not
    load (`diagnostics` has errors) and in whose YAML part (for a Markdown card: also
    anywhere else) nothing looks like a recipe. `single_value`: the document's root is a
    scalar (kept light: this module does not import the YAML reader)."""
    errors = [d for d in diagnostics if d.severity.value == "error"]
    if not errors or all(d.code == codes.EMPTY_RECIPE.code for d in errors):
        return None
    if RECIPE_MARK.search(src.yaml_text):
        return None
    name = os.path.basename(src.path) if src.path else "this text"
    if single_value and src.form != "md" and \
            name.lower().endswith((".yaml", ".yml")):
        return None  # a YAML file holding one value: RS106 says that plainly
    if src.form == "md":
        top = not src.text[:src.start].rstrip("-+ \t").strip() if src.end > src.start \
            else False
        if RECIPE_MARK.search(src.text) and (top or src.end == src.start):
            return None  # a card with a recipe in the wrong place: RS104/RS006 say so
        if src.end > src.start:
            first, col = src.position(src.start)
            last = src.position(src.end)[0]
            where = (f"SparseML reads a Markdown file only between its first `---` line "
                     f"and the next one (here lines {first}-{last}, not a recipe)")
            opening = src.line_text(first)
            span = Span(first, 1, first, max(2, len(opening.rstrip()) + 1))
        else:
            where = "it has no `---` front matter, the only part of a card SparseML reads"
            span = _first_line_span(src)
    else:
        where = "nothing in it is a `modifiers:` list or a `!...Modifier` tag"
        span = _first_line_span(src)
    return codes.NOT_A_RECIPE.diag(
        f"`{name}` is not a SparseML recipe: {where}", span, path=src.path,
        help="pass a recipe: a `.yaml` file with a `modifiers:` list of `- !...Modifier` "
             "items, or a `.md` card with that YAML in a `---` front matter at the top")


def _first_line_span(src: Source) -> Span:
    """The first non-blank line of the file, without its indentation."""
    for i, line in enumerate(src.text.split("\n")):
        if line.strip():
            col = len(line) - len(line.lstrip()) + 1
            return Span(i + 1, col, i + 1, len(line.rstrip()) + 1)
    return Span(1, 1, 1, 2)


def modifiers_after_front_matter(src: Source) -> Diagnostic | None:
    """A recipe card whose `modifiers:` comes after its front matter (a Jekyll-style
    `---`/`layout:`/`---` header): SparseML reads only the front matter."""
    if src.form not in ("md", "text") or src.end >= len(src.text) or src.start == src.end:
        return None
    after = src.end + 3  # past the closing delimiter
    m = _MODIFIERS_KEY.search(src.text, after)
    if m is None:
        return None
    key = m.group(1)
    key_span = src.file_span(m.start(1), m.end(1))
    first = src.position(src.start)[0]
    last, col = src.position(src.end)
    front = Span(first, 1, last, col + 3)
    return codes.NO_MODIFIERS.diag(
        f"SparseML reads a recipe card only between its first two `---` lines (lines "
        f"{first}-{last} here, without modifiers); `{key}:` on line {key_span.line} comes "
        "after them and is not read", key_span, path=src.path,
        related=[Related(front, "the front matter SparseML reads")],
        help=f"move `{key}:` and its list into the front matter, before the `---` on "
             f"line {last}")


def is_stage_recipe(root: YNode | None) -> bool:
    """A mapping with a `*_stage`, `*_modifiers` or `stages:` key holding a mapping (a stage or a
    group of `Name: {args}` modifiers), and no classic `!Modifier` tag near the top."""
    if not isinstance(root, YMap) or root.custom_tag is not None:
        return False
    hit = False
    for key, pair in root.entries():
        node = pair.value.node
        if node.custom_tag is not None:
            return False
        if isinstance(node, YSeq) and any(i.node.custom_tag for i in node.items):
            return False  # a classic `modifiers:` list
        if not isinstance(key, str):
            continue
        if key.endswith(("_stage", "_modifiers")) or key == "stages":
            hit = hit or isinstance(node, YMap) or key.endswith("_stage")
        elif isinstance(node, YMap) and any(
                isinstance(k, str) and k.endswith("_modifiers") and isinstance(p.value.node, YMap)
                for k, p in node.entries()):
            hit = True  # a stage without the suffix: reported as ignored
    # a classic staged recipe (`x_stage: {y_modifiers: [- !Modifier ...]}`) is SparseML's
    # classic form: any `!Modifier` tag in the first three levels makes it classic
    return hit and not _has_tagged_node(root, depth=3)


def _has_tagged_node(node: YNode, depth: int) -> bool:
    if node.custom_tag is not None:
        return True
    if depth <= 0:
        return False
    if isinstance(node, YSeq):
        return any(_has_tagged_node(i.node, depth - 1) for i in node.items)
    if isinstance(node, YMap):
        return any(_has_tagged_node(p.value.node, depth - 1) for p in node.pairs)
    return False


def may_be_stage_recipe(source: Source, root: YNode | None) -> bool:
    """Whether the stage reader should see this document: a stage recipe, or any `.json`
    recipe (the libraries `json.loads` it; the stage reader reports what it finds)."""
    return bool(source.path) and source.path.lower().endswith(".json") or is_stage_recipe(root)
