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

from recipe_studio.diagnostics import Diagnostic, Edit, apply_edits
# the did-you-mean renames are built while reading (the policy is below); the rules take
# them from here
from recipe_studio.read.fixes import rename_fix, rename_name_fix

__all__ = ["MAX_PASSES", "FixOutcome", "apply_fixes", "fix_text", "rename_fix",
           "rename_name_fix", "unified_diff"]

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


def apply_fixes(text: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False
                ) -> tuple[str, list[Diagnostic]]:
    """Apply the fixes of one lint pass that do not overlap an earlier one (and lie inside
    the text); returns the new text and the diagnostics whose fixes applied."""
    chosen: list[Diagnostic] = []
    taken: list[tuple[int, int]] = []
    for d in diagnostics:
        if d.fix is None or (not d.fix.safe and not unsafe) or not d.fix.edits:
            continue
        edits = d.fix.edits
        if any(_overlaps(e.start, e.end, a, b) for e in edits for a, b in taken):
            continue
        if any(e.start < 0 or e.end > len(text) or e.start > e.end for e in edits):
            continue
        chosen.append(d)
        taken.extend((e.start, e.end) for e in edits)
    return apply_edits(text, _edits_of(chosen)), chosen


def _edits_of(diagnostics: Sequence[Diagnostic]) -> list[Edit]:
    return [e for d in diagnostics if d.fix is not None for e in d.fix.edits]


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
    from recipe_studio.transform.edit import edit_original_text

    applied: list[Diagnostic] = []
    for _ in range(MAX_PASSES):
        diagnostics = relint(text)
        new, done = apply_fixes(text, diagnostics, unsafe=unsafe)
        if not done or new == text:
            break
        if original is not None:
            original = edit_original_text(original, text, _edits_of(done))
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
#
# The fixes themselves are built where the misspelling is found, mostly while reading:
# `recipe_studio.read.fixes` (`rename_fix`, `rename_name_fix`).
