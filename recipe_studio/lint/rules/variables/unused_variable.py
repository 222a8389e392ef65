"""A variable nothing uses.

## What it does
Flags a top-level (or stage) variable that no `eval(...)` expression, alias or other variable
refers to. `version`, `__metadata__`, modifier lists and stages are not variables here.

## Why is this bad?
Usually a leftover or a typo: the recipe *looks* tunable through it, but changing it (or
overriding it with `--recipe_args`) does nothing.

## SparseML behaviour
Accepted. Some integrations read well-known variables (e.g. `num_epochs`) directly, which is
why this is a warning, not an error.

## Example
```yaml
num_epochs: 50
pruning_end: 30.0
modifiers:
  - !EpochRangeModifier {start_epoch: 0, end_epoch: eval(num_epochs)}
```

## Use instead
Use it (`end_epoch: eval(pruning_end)`) or remove it.

## Fix safety
Unsafe: a training integration may read the variable by name.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext

SKIP = {"version", "__metadata__"}


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    recipe = ctx.recipe
    if any(d.code == "RS105" for d in recipe.diagnostics):
        # modifier lists under a misnamed key are not read, so their uses are not known
        # (and RS105's rename fix would make this one's removal break the recipe)
        return
    stage_names = {s.name for s in recipe.stages}
    src = recipe.source
    for v in recipe.all_variables():
        if v.name in SKIP or "modifiers" in v.name or v.name in stage_names or v.uses:
            continue
        if v.overridden:
            continue
        fix = None
        if src is not None and v.key_span.line == v.value_span.end_line:
            line = src.line_text(v.key_span.line)
            if line[: v.key_span.column - 1].strip() == "":
                start = src.offset(v.key_span.line, 1)
                end = src.offset(v.key_span.line + 1, 1) if v.key_span.line < src.line_count \
                    else len(src.text)
                fix = Fix(f"remove `{v.name}`", (Edit(start, end, ""),), False)
        where = f"stage `{v.stage}`" if v.stage else "the recipe"
        yield ctx.diagnostic(
            v.key_span, f"variable `{v.name}` is defined in {where} but never used",
            help=f"use it with `eval({v.name})` or remove it", fix=fix)


RULE = Rule(code="RS311", name="unused-variable", severity=Severity.WARNING, doc=__doc__,
            check=check, fix="sometimes")
