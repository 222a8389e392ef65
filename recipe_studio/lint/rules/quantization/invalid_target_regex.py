"""A `re:` pattern in `targets`, `ignore` or a mapping that is not a valid regular expression.

## What it does
Flags every string starting with `re:` in a stage-recipe modifier's `targets`, `ignore`,
`sequential_targets` or `config_groups.*.targets` whose rest does not compile as a Python
regular expression.

## Why is this bad?
compressed-tensors and llm-compressor compile these patterns only when they match them
against the model's module names (`re.match(pattern[3:], name)`), i.e. after the model is
loaded: the recipe loads fine and the run dies with `re.error` (`unbalanced parenthesis`,
`nothing to repeat` — a glob such as `re:*.lm_head` is the usual culprit).

## SparseML behaviour
**Applies to llm-compressor 0.14 and SparseML 1.8.** `compressed_tensors.utils.match`
(`is_match` / `_match_name`) and SparseML 1.8's `sparseml.core.utils` target matching call
`re.match` on first use; nothing validates the pattern when the modifier is created.

## Example
```yaml
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      scheme: FP8_DYNAMIC
      ignore: ["re:*.lm_head"]
```

## Use instead
```yaml
      ignore: ["re:.*lm_head"]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.lint.rules._base import Rule, RuleContext
from recipe_studio.lint.rules._stage_facts import compile_error, modifiers

_FIELDS = ("targets", "ignore", "sequential_targets")


def _strings(value, path):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for m in modifiers(ctx):
        args = m.args if isinstance(m.args, dict) else {}
        found = []
        for name in _FIELDS:
            if name in args:
                found.extend(_strings(args[name], (name,)))
        groups = args.get("config_groups")
        if isinstance(groups, dict):
            for gname, g in groups.items():
                if isinstance(g, dict) and "targets" in g:
                    found.extend(_strings(g["targets"], ("config_groups", gname, "targets")))
        for path, pattern in found:
            err = compile_error(pattern)
            if err is None:
                continue
            yield ctx.diagnostic(
                m.value_span(*path),
                f"`{pattern}` in `{path[0]}` of `{m.type}` is not a valid regular "
                f"expression ({err}): the run fails with `re.error` once the model is loaded",
                help="fix the pattern (`re:` takes a Python regex matched from the start of "
                     "the module name, e.g. `re:.*lm_head`)")


RULE = Rule(code="RS625", name="invalid-target-regex", severity=Severity.ERROR,
            doc=__doc__, check=check)
