"""Applying fixes: position-exact text edits, repeated until nothing more applies.

Fixes are computed from node positions in the source and applied as text edits, so every
byte outside the edited values — comments, anchors, quotes, key order, blank lines,
Markdown prose — stays exactly as written. Fixing is idempotent: a second run changes
nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from recipe_studio.diagnostics import Diagnostic, Edit, Fix

MAX_PASSES = 10


@dataclass
class FixOutcome:
    text: str
    applied: list[Diagnostic]
    #: the fixed text in the file's own bytes (line endings, BOM), when `fix_text` was
    #: given the original text: what is written back
    original: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def apply_edits(text: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False
                ) -> tuple[str, list[Diagnostic]]:
    """Apply the (non-overlapping) fixes of one lint pass; returns new text and what applied."""
    chosen: list[tuple[Diagnostic, tuple[Edit, ...]]] = []
    taken: list[tuple[int, int]] = []
    for d in diagnostics:
        if d.fix is None or (not d.fix.safe and not unsafe) or not d.fix.edits:
            continue
        edits = d.fix.edits
        if any(_overlaps(e.start, e.end, a, b) for e in edits for a, b in taken):
            continue
        if any(e.start < 0 or e.end > len(text) or e.start > e.end for e in edits):
            continue
        chosen.append((d, edits))
        taken.extend((e.start, e.end) for e in edits)
    all_edits = sorted((e for _, es in chosen for e in es), key=lambda e: (e.start, e.end),
                       reverse=True)
    for e in all_edits:
        text = text[: e.start] + e.text + text[e.end:]
    return text, [d for d, _ in chosen]


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    if a0 == a1 or b0 == b1:  # insertions conflict only at the same point or inside
        return b0 < a0 < b1 or a0 < b0 < a1 or a0 == b0
    return a0 < b1 and b0 < a1


def fix_text(text: str, relint: Callable[[str], Sequence[Diagnostic]], *,
             unsafe: bool = False, original: str | None = None) -> FixOutcome:
    """Lint, apply fixes, re-lint the result, until no fix applies (bounded).

    `text` has `\\n` newlines (`Source.text`); with the file's `original` text (its own line
    endings and BOM, `Source.original`) every pass's edits are applied to it as well, so
    the bytes no fix touches are written back unchanged.
    """
    from recipe_studio.transform.edit import TextEdit, edit_original_text

    applied: list[Diagnostic] = []
    for _ in range(MAX_PASSES):
        diagnostics = relint(text)
        new, done = apply_edits(text, diagnostics, unsafe=unsafe)
        if not done or new == text:
            break
        if original is not None:
            original = edit_original_text(original, text, [
                TextEdit(e.start, e.end, e.text) for d in done for e in d.fix.edits])
        applied.extend(done)
        text = new
    return FixOutcome(text, applied, original)


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))


# -- did-you-mean renames ---------------------------------------------------------------
#
# Every diagnostic whose help says "did you mean `X`?" carries the rename as its fix
# (`Fix.preferred`: the language server's preferred quick fix). Safety, per case:
#
# * RS102 unknown field: safe when the misspelt key is the only one close to a *required*
#   field that is missing (the modifier cannot load any other way); unsafe when the
#   target is optional (the value starts to take effect instead of the default).
# * RS101 unknown modifier, RS301 undefined variable, RS303 unknown `eval` function,
#   RS203/RS205 misspelt choice or `params` token, RS105 misnamed modifier list, RS801
#   parameter name, RS902 rule name in a suppression: unsafe — a different modifier,
#   variable, value, list or rule means a different behaviour, so `lint --fix` applies them
#   only with `--unsafe-fixes`.
# * RS308 unknown `--var` override: no fix (the typo is on the command line).

_FLOW_OR_COMMENT = re.compile(r"[,\[\]{}#]|: |^[\s'\"!&*|>%@`-]|\s$")


def reads_as_plain_string(text: str) -> bool:
    """Whether `text`, written as a plain YAML scalar, reads back (YAML 1.1, as SparseML
    reads it) as that same string, also inside a flow collection."""
    import yaml

    if not text or _FLOW_OR_COMMENT.search(text) or "\n" in text:
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def render_like(written: str, new: str) -> str | None:
    """`new` as a YAML scalar in the style `written` was (plain, 'single' or "double"
    quoted), reading back as the string `new`; None when no simple form holds it."""
    if written[:1] in ("'", '"'):
        quote = written[0]
        if quote in new or "\\" in new or "\n" in new:
            return None
        return f"{quote}{new}{quote}"
    if reads_as_plain_string(new):
        return new
    return None if "'" in new or "\n" in new else f"'{new}'"


def rename_fix(text: str, start: int, end: int, old: str, new: str, *, safe: bool,
               what: str = "") -> Fix | None:
    """A fix replacing the scalar `old` written at `text[start:end]` (plain or quoted) by
    `new`, in the same style; None when the text there is not simply `old`."""
    written = text[start:end]
    if written not in (old, f"'{old}'", f'"{old}"'):
        return None
    rendered = render_like(written, new)
    if rendered is None:
        return None
    label = f"{what} " if what else ""
    return Fix(f"rename {label}`{old}` to `{new}`", (Edit(start, end, rendered),), safe,
               preferred=True)


def rename_name_fix(text: str, start: int, end: int, old: str, new: str, *,
                    what: str = "variable") -> Fix | None:
    """A fix renaming every use of the name `old` inside the `eval(...)` written at
    `text[start:end]` (unsafe: another name is another value)."""
    body = text[start:end]
    edits = tuple(Edit(start + m.start(), start + m.end(), new)
                  for m in re.finditer(rf"(?<![\w.]){re.escape(old)}(?![\w])", body))
    if not edits or "eval(" not in body:
        return None
    return Fix(f"rename {what} `{old}` to `{new}`", edits, safe=False, preferred=True)
