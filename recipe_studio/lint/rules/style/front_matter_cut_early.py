"""A Markdown recipe card whose front matter SparseML cuts short.

## What it does
Flags a `.md` recipe (or raw recipe text) whose front matter ends at a `---` or `+++` that is
not on a line of its own, such as a comment `# --- pruning ---` or a string containing
`---`.

## Why is this bad?
SparseML extracts the front matter with `^\\s*(---|\\+\\+\\+)(.*?)(---|\\+\\+\\+)`: it stops at
the *first* `---` or `+++` anywhere, so everything after that point — often most of the
modifiers — is silently not part of the recipe.

## SparseML behaviour
Measured: the recipe is truncated; at best "Unable to find any modifiers", at worst a recipe
that loads with some modifiers missing.

## Example
```markdown
---
modifiers:
  # --- pruning ---
  - !GMPruningModifier
    ...
---
```

## Use instead
Never write `---` or `+++` inside the front matter (`# == pruning ==`).
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    src = ctx.recipe.source
    if src is None or src.form not in ("md", "text") or src.end >= len(src.text):
        return
    line, col = src.position(src.end)
    before = src.line_text(line)[: col - 1]
    if not before.strip():
        return
    # where the author's real closing delimiter is, if any
    rest_start = src.end + 3
    nxt = None
    for n in range(line + 1, src.line_count + 1):
        if src.line_text(n).strip() in ("---", "+++"):
            nxt = n
            break
    tail = f"; the front matter was meant to end on line {nxt}" if nxt else ""
    yield ctx.diagnostic(
        src.file_span(src.end, rest_start),
        f"SparseML ends the front matter at this `{src.text[src.end:rest_start]}` (it stops at "
        f"the first `---`/`+++` anywhere, even inside a comment or string){tail}: everything "
        "after it is not part of the recipe",
        help="remove `---`/`+++` from inside the front matter")


RULE = Rule(code="RS911", name="front-matter-cut-early", severity=Severity.ERROR,
            doc=__doc__, check=check)
