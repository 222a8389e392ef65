"""`!word` inside a string, which SparseML's tag rewrite alters.

## What it does
Flags a `!` followed by a word inside a string value (a regex look-ahead such as
`re:^(?!fc)conv`, a note) that SparseML's text-level tag rewrite will change.

## Why is this bad?
Before parsing, SparseML rewrites every `!Name` in the recipe text that has no `.` later on
its line — including inside strings — and later turns it into `!pytorch.Name`. The value the
modifier receives is not the one written: `re:^(?!fc)conv` becomes `re:^(?!pytorch.fc)conv`,
a different regular expression.

## SparseML behaviour
Silent (measured, baseline B52).

## Example
```yaml
params:
  - re:^(?!fc)conv.*weight
```

## Use instead
Avoid `!` followed by a letter on a line without a later `.`; for a negative look-ahead,
put a `.` later on the line (e.g. `re:^(?!fc).*conv.*weight` keeps its meaning because the
rewrite only fires when no `.` follows), or list the parameters explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    src = ctx.recipe.source
    if src is None:
        return
    for tt in ctx.recipe.text_tags:
        if tt.in_scalar is None:
            continue  # in a comment: harmless
        raw = getattr(tt.in_scalar, "raw", "")
        after = raw.replace(tt.word, "!pytorch." + tt.word[1:])
        yield ctx.diagnostic(
            src.span(tt.start, tt.end),
            f"SparseML's tag rewrite changes `{tt.word}` inside the string `{raw}`: the "
            f"modifier receives `{after}`",
            help="avoid `!` followed by a letter here, or put a `.` later on the same line")


RULE = Rule(code="RS910", name="tag-rewrite-alters-text", severity=Severity.WARNING,
            doc=__doc__, check=check)
