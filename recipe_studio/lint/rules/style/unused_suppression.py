"""A suppression comment that suppresses nothing.

## What it does
Flags a `# recipe-studio: disable=...` (or `disable-file=...`) entry whose rule reports
nothing where the comment applies.

## Why is this bad?
Stale suppressions hide future problems and mislead readers into thinking there is one.

## SparseML behaviour
Not applicable (comments are recipe-studio's).

## Example
```yaml
  end_epoch: 30.0  # recipe-studio: disable=RS401
```
(when the modifier does not end after training)

## Use instead
Remove the comment, or the entries that no longer apply.

## Fix safety
Safe: removes only the comment (or the unused entry); no fix when the comment goes on
with other text after the directive.
"""

from __future__ import annotations

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule
from recipe_studio.lint.suppress import Suppression, removal_fix
from recipe_studio.read.recipe import Recipe


def diagnostic(recipe: Recipe, suppression: Suppression, selector: str) -> Diagnostic:
    return Diagnostic(
        code=RULE.code, name=RULE.name, severity=RULE.severity,
        message=f"`{selector}` is suppressed here but reports nothing",
        span=suppression.span, path=recipe.path,
        help="remove it from the suppression comment",
        fix=removal_fix(recipe, suppression, selector))


RULE = Rule(code="RS901", name="unused-suppression", severity=Severity.WARNING, doc=__doc__,
            fix="sometimes")
