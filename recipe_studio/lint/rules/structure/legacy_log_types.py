"""`log_types`, a field SparseML 1.8 deletes from every modifier.

## What it does
Notes recipes that set `log_types` on their modifiers (once per file, with the count).

## Why is this bad?
Older SparseML versions configured logging per modifier with `log_types`; SparseML 1.8
deletes the key before building each modifier, for backwards compatibility. It has no effect
and clutters recipes (SparseML's own older saved recipes carry it on every modifier).

## SparseML behaviour
`del state["log_types"]` in the YAML constructor (optim/modifier.py), without a warning.

## Example
```yaml
- !GMPruningModifier
  ...
  log_types: __ALL__
```

## Use instead
Remove the key; configure loggers in the training script.

## Fix safety
Safe: the key is deleted by SparseML anyway.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Fix, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    entries = [m for m in ctx.recipe.modifiers if "log_types" in m.raw_args]
    if not entries:
        return
    edits = []
    for m in entries:
        fix = ctx.delete_field(m, "log_types", "remove `log_types`")
        if fix is not None:
            edits.extend(fix.edits)
    first = entries[0]
    n = len(entries)
    yield ctx.diagnostic(
        first.key_span("log_types") if first.site("log_types") else first.tag_span,
        f"`log_types` is set on {n} modifier{'s' if n > 1 else ''}; SparseML 1.8 deletes it "
        "before building them, so it has no effect",
        help="remove `log_types`",
        fix=Fix(f"remove `log_types` from {n} modifier{'s' if n > 1 else ''}", tuple(edits))
        if edits else None)


RULE = Rule(code="RS121", name="legacy-log-types", severity=Severity.INFO, doc=__doc__,
            check=check, fix="sometimes")
