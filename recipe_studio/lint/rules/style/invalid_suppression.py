"""A suppression comment naming no known rule, or aimed at a load error.

## What it does
Flags an entry of `# recipe-studio: disable=...` that is not a rule code, name, code prefix
or family, and an entry aimed at a load-level error (an error `validate` reports:
SparseML cannot load the recipe), which can never be suppressed.

## Why is this bad?
A typo in a suppression silently suppresses nothing, so the diagnostic it was meant to
silence keeps firing — or, worse, the author believes a rule is silenced when it is not.
A recipe with a load error fails in SparseML whatever a comment says, so `lint` keeps
reporting the error (and exits 1) and reports the comment too: fix the error instead
(most load errors carry the fix, e.g. the rename of a misspelt field).

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
and, for a load error such as
`final_sparsty: 0.85  # recipe-studio: disable=RS102`, the fix itself:
`final_sparsity: 0.85`.

## Fix safety
Unsafe: the did-you-mean rename of a misspelt rule changes what the comment suppresses.
Safe: removing an entry aimed at a load error (it can never suppress anything).
"""

from __future__ import annotations

import re

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Severity
from recipe_studio.lint.rules._base import Rule
from recipe_studio.lint.suppress import Suppression, removal_fix
from recipe_studio.read.recipe import Recipe


def diagnostic(recipe: Recipe, suppression: Suppression, selector: str,
               suggestion: str | None) -> Diagnostic:
    """`selector` names no rule; `suggestion` is the registry's did-you-mean (the engine
    asks `registry.suggest`: a rule never imports the registry, which imports every rule)."""
    fix = None
    if suggestion and recipe.source is not None:
        fix = _rename_selector(recipe, suppression, selector, suggestion)
    return Diagnostic(
        code=RULE.code, name=RULE.name, severity=RULE.severity,
        message=f"`{selector}` in a suppression comment is not a known rule",
        span=suppression.span, path=recipe.path,
        help=f"did you mean `{suggestion}`?" if suggestion
        else "run `recipe-studio rule` for the list",
        fix=fix)


def load_error_diagnostic(recipe: Recipe, suppression: Suppression, selector: str,
                          target: Diagnostic | None, *, removable: bool = True) -> Diagnostic:
    """`selector` matched a load-level error (`target`), or names only load-error codes.
    `removable`: the selector suppresses nothing else (its removal is the fix)."""
    if target is not None:
        where = "here" if target.span.line == suppression.span.line else \
            f"on line {target.span.line}"
        aimed = "" if selector.upper() == target.code or selector.lower() == target.name \
            else f" (`{selector}` matches it)"
        message = (f"load errors cannot be suppressed: `{target.code}` ({target.name}) {where} "
                   f"means SparseML cannot load this recipe{aimed}")
        help_ = "fix the error instead" + (f" ({target.help})" if target.help else "")
    else:
        message = (f"`{selector}` names only load errors, and load errors cannot be "
                   "suppressed: SparseML cannot load a recipe that has one")
        help_ = "fix the error instead, and remove it from the suppression comment"
    return Diagnostic(code=RULE.code, name=RULE.name, severity=RULE.severity, message=message,
                      span=suppression.span, path=recipe.path, help=help_,
                      fix=removal_fix(recipe, suppression, selector) if removable else None)


def _rename_selector(recipe: Recipe, suppression: Suppression, selector: str, new: str) -> Fix | None:
    src = recipe.source
    line = suppression.span.line
    text = src.line_text(line)
    start = suppression.span.column - 1
    hits = [m for m in re.finditer(rf"(?<![\w-]){re.escape(selector)}(?![\w-])", text)
            if m.start() >= start]
    if len(hits) != 1:
        return None
    at = src.offset(line, hits[0].start() + 1)
    return Fix(f"rename `{selector}` to `{new}`", (Edit(at, at + len(selector), new),),
               safe=False, preferred=True)


RULE = Rule(code="RS902", name="invalid-suppression", severity=Severity.WARNING, doc=__doc__,
            fix="sometimes")
