"""A suppression comment naming no known rule.

## What it does
Flags an entry of `# recipe-studio: disable=...` that is not a rule code, name, code prefix
or family.

## Why is this bad?
A typo in a suppression silently suppresses nothing, so the diagnostic it was meant to
silence keeps firing — or, worse, the author believes a rule is silenced when it is not.

## SparseML behaviour
Not applicable (comments are recipe-studio's).

## Example
```yaml
  end_epoch: 40.0  # recipe-studio: disable=modifier-end-after-training
```

## Use instead
```yaml
  end_epoch: 40.0  # recipe-studio: disable=modifier-ends-after-training
```
"""

from __future__ import annotations

import difflib

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.recipe import Recipe
from recipe_studio.rules._base import Rule


def diagnostic(recipe: Recipe, suppression, selector: str) -> Diagnostic:
    from recipe_studio.rules import registry

    close = difflib.get_close_matches(selector, [*registry.BY_NAME, *registry.BY_CODE], n=1,
                                      cutoff=0.6)
    return Diagnostic(
        code=RULE.code, name=RULE.name, severity=RULE.severity,
        message=f"`{selector}` in a suppression comment is not a known rule",
        span=suppression.span, path=recipe.path,
        help=f"did you mean `{close[0]}`?" if close else "run `recipe-studio rule` for the list")


RULE = Rule(code="RS902", name="invalid-suppression", severity=Severity.WARNING, doc=__doc__)
