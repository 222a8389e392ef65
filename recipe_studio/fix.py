"""Applying fixes: position-exact text edits, repeated until nothing more applies.

Fixes are computed from node positions in the source and applied as text edits, so every
byte outside the edited values — comments, anchors, quotes, key order, blank lines,
Markdown prose — stays exactly as written. Fixing is idempotent: a second run changes
nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from recipe_studio.diagnostics import Diagnostic, Edit

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
    from recipe_studio.edit import TextEdit, edit_original_text

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
