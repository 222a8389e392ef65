"""A boolean written as a string, which SparseML reads as true.

## What it does
Flags a quoted string such as `'false'`, `"False"` or `'no'` in a boolean field
(`leave_enabled`, `global_sparsity`, `trainable`, `params_strict`, ...).

## Why is this bad?
SparseML tests these fields for truthiness: every non-empty string is true, so
`leave_enabled: "false"` keeps the masks and `global_sparsity: 'no'` turns global pruning
on. (Fields SparseML parses with `convert_to_bool` — `constant_logging`, and `trainable` /
`params_strict` of TrainableParams — are not flagged: there `'false'` is false.)

## SparseML behaviour
Accepted; the value behaves as `true`.

## Example
```yaml
leave_enabled: "false"
```

## Use instead
```yaml
leave_enabled: false
```

## Fix safety
Unsafe: the behaviour changes to what the recipe says (from true to false).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext

FALSY = {"false", "no", "off", "n", "0", "f", "none", "null", ""}
PARSED = {"constant_logging"}  # sparseml.utils.convert_to_bool: 'f'/'0' make it false


@functools.lru_cache(maxsize=256)
def _plain_bool_fields(model: type) -> tuple[str, ...]:
    """The boolean fields of a model SparseML does not parse itself (any string is true),
    in field order (the model classes are fixed: worked out once per class)."""
    out = []
    for name, info in model.model_fields.items():
        parsed = isinstance(info.json_schema_extra, dict) and \
            info.json_schema_extra.get("x-bool") == "convert_to_bool"
        if name in PARSED or parsed or "bool" not in str(info.annotation):
            continue
        out.append(name)
    return tuple(out)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for entry in ctx.valid():
        for name in _plain_bool_fields(type(entry.view)):
            raw = entry.args.get(name)
            if not isinstance(raw, str):
                continue
            if raw.strip().lower() not in FALSY:
                continue
            yield ctx.diagnostic(
                entry.value_span(name),
                f"`{name}: {raw!r}` is a string, and SparseML treats every non-empty string "
                "as true",
                help=f"write `{name}: false` without quotes",
                fix=ctx.replace_value(entry, (name,), "false", f"write `{name}: false`",
                                      safe=False))


RULE = Rule(code="RS211", name="bool-given-as-string", severity=Severity.ERROR, doc=__doc__,
            check=check, fix="sometimes")
