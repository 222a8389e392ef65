"""Inline suppression comments.

* `key: value  # recipe-studio: disable=RS401,pruning-ends-after-training` — that line;
* a comment on its own line directly above a modifier (`- !Tag`) — that whole modifier;
* `# recipe-studio: disable-file=RS207` anywhere — the whole file.

Codes, names and code prefixes are accepted. Suppressions that silence nothing are
reported (RS901), and so are ones naming no known rule (RS902).

Load-level errors (:func:`recipe_studio.read.codes.is_load_error`: SparseML cannot load the
recipe) are never suppressed: a selector that matches one leaves it in place and is itself
reported (RS902), so that `lint` never passes a recipe `validate` refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Span
from recipe_studio.read.recipe import Recipe

_COMMENT = re.compile(r"(?:^|\s)#\s*recipe-studio:\s*(disable|disable-file)\s*=\s*"
                      r"([A-Za-z0-9_\-]+(?:\s*,\s*[A-Za-z0-9_\-]+)*)")


@dataclass
class Suppression:
    kind: str  # "line" | "modifier" | "file"
    selectors: list[str]
    span: Span  # where the comment is
    #: lines it covers (inclusive); file-wide when kind == "file"
    first: int = 0
    last: int = 0
    used: set[str] = field(default_factory=set)
    #: selector -> the first load-level error it matched (and could not suppress)
    blocked: dict[str, Diagnostic] = field(default_factory=dict)


def find(recipe: Recipe) -> list[Suppression]:
    src = recipe.source
    if src is None or "recipe-studio:" not in src.text:  # most files: no comment at all
        return []
    modifier_lines = {m.tag_span.line: m for m in recipe.modifiers}
    out = []
    for n in range(1, src.line_count + 1):
        line = src.line_text(n)
        if "recipe-studio:" not in line:
            continue
        m = _COMMENT.search(line)
        if not m:
            continue
        selectors = [s.strip() for s in m.group(2).split(",") if s.strip()]
        col = m.start() + (1 if line[m.start()].isspace() else 0) + 1
        span = Span(n, col, n, len(line) + 1)
        if m.group(1) == "disable-file":
            out.append(Suppression("file", selectors, span, 1, src.line_count))
            continue
        own_line = not line[: m.start()].strip()
        if own_line:
            # applies to the modifier starting on the next non-comment line
            k = n + 1
            while k <= src.line_count and src.line_text(k).lstrip().startswith("#"):
                k += 1
            entry = modifier_lines.get(k)
            if entry is not None:
                out.append(Suppression("modifier", selectors, span, k, entry.span.end_line))
            else:
                out.append(Suppression("line", selectors, span, k, k))
        else:
            out.append(Suppression("line", selectors, span, n, n))
    return out


def apply(
    diagnostics: list[Diagnostic],
    suppressions: list[Suppression],
    matches: Callable[[str, Diagnostic], bool],
    *,
    protected: Callable[[Diagnostic], bool] = lambda d: False,
) -> list[Diagnostic]:
    """Drop suppressed diagnostics; record which selectors were used.

    A `protected` diagnostic (a load-level error) is kept; the selectors aimed at it are
    recorded in :attr:`Suppression.blocked`.
    """
    if not suppressions:
        return diagnostics
    kept = []
    for d in diagnostics:
        hit = False
        keep = protected(d)
        for s in suppressions:
            if s.kind != "file" and not (s.first <= d.span.line <= s.last):
                continue
            for sel in s.selectors:
                if matches(sel, d):
                    if keep:
                        s.blocked.setdefault(sel, d)
                        continue
                    s.used.add(sel)
                    hit = True
        if not hit:
            kept.append(d)
    return kept


def removal_fix(recipe: Recipe, suppression: Suppression, selector: str) -> Fix | None:
    """A safe fix removing `selector` from its comment: the whole comment (or its line)
    when it is the only entry, else the entry and one comma."""
    src = recipe.source
    if src is None:
        return None
    n = suppression.span.line
    line = src.line_text(n)
    m = _COMMENT.search(line)
    if m is None:
        return None
    base = src.offset(n, 1)
    group_start, group_end = m.span(2)
    if len([x for x in suppression.selectors if x]) == 1:
        if line[group_end:].strip():
            return None  # text after the directive: leave the comment to its author
        if not line[: m.start()].strip():  # a comment on its own line: drop the line
            end = src.offset(n + 1, 1) if n < src.line_count else len(src.text)
            return Fix("remove the suppression comment", (Edit(base, end, ""),))
        start = len(line[: m.start() + 1].rstrip()) if line[m.start()].isspace() else m.start()
        return Fix("remove the suppression comment", (Edit(base + start, base + len(line), ""),))
    entries = list(re.finditer(r"[A-Za-z0-9_\-]+", line[group_start:group_end]))
    hits = [e for e in entries if e.group() == selector]
    if len(hits) != 1:
        return None
    k = entries.index(hits[0])
    if k + 1 < len(entries):  # `sel, next` -> `next`
        a, b = hits[0].start(), entries[k + 1].start()
    else:  # `prev, sel` -> `prev`
        a, b = entries[k - 1].end(), hits[0].end()
    return Fix(f"remove `{selector}` from the suppression comment",
               (Edit(base + group_start + a, base + group_start + b, ""),))
