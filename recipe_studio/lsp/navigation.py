"""Go to definition, find references (variables and YAML anchors) and document symbols."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Span
from recipe_studio.lsp.analysis import Analysis, within

if TYPE_CHECKING:
    from recipe_studio.read.recipe import ModifierEntry
    from recipe_studio.read.variables import Variable

Target = tuple[str, Any]  # ("variable", Variable) | ("anchor", name)


def target_at(analysis: Analysis, line: int, column: int) -> Target | None:
    """The variable or anchor named at the position: a variable's key, a name inside
    `eval(...)`, an alias `*name` or an anchor `&name`."""
    found = analysis.alias_at(line, column) or analysis.anchor_at(line, column)
    if found is not None:
        return "anchor", found[0]
    var = analysis.variable_at(line, column)
    if var is not None and var[1] == "key":
        return "variable", var[0]
    word = analysis.word_at(line, column)
    if word is None:
        return None
    expression_here = False
    site = analysis.site_at(line, column)
    if site is not None and site[3] == "value" and site[2].expression is not None:
        expression_here = word[0] in site[2].variables or word[0] in site[2].expression
    elif var is not None and var[0].expression is not None:
        expression_here = word[0] in var[0].expression
    if expression_here:
        target = analysis.variable_named(word[0], line)
        if target is not None:
            return "variable", target
    return None


def definition(analysis: Analysis, line: int, column: int) -> list[Span]:
    target = target_at(analysis, line, column)
    if target is None:
        return []
    kind, value = target
    if kind == "variable":
        return [value.key_span]
    defs = analysis.anchor_definitions().get(value, [])
    alias = analysis.alias_at(line, column)
    if alias is not None:  # the definition in force where the alias is written
        before = [d for d in defs if (d.line, d.column) < (line, column)]
        return before[-1:] or defs[:1]
    return defs


def references(analysis: Analysis, line: int, column: int, *,
               include_declaration: bool = True) -> list[Span]:
    target = target_at(analysis, line, column)
    if target is None:
        return []
    kind, value = target
    out: list[Span] = []
    if kind == "anchor":
        if include_declaration:
            out.extend(analysis.anchor_definitions().get(value, []))
        out.extend(analysis.alias_uses(value))
        return _unique(out)
    var: Variable = value
    if include_declaration:
        out.append(var.key_span)
    for span, expression in analysis.eval_sites():
        if var.name not in expression:
            continue
        if analysis.variable_named(var.name, span.line) is not var:
            continue
        out.extend(analysis.name_occurrences(var.name, span))
    for name, spans in analysis.anchor_definitions().items():
        if any(within(var.value_span, s.line, s.column) for s in spans):
            out.extend(analysis.alias_uses(name))
    return _unique(out)


def _unique(spans: list[Span]) -> list[Span]:
    """Without duplicates, in document order."""
    return sorted(set(spans))


@dataclass
class Symbol:
    name: str
    detail: str
    span: Span
    selection: Span


def _epoch_text(value: Any, end: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value == -1:
        return "end" if end else "start"
    return f"{value:g}" if math.isfinite(value) else str(value)


def modifier_name(entry: ModifierEntry) -> str:
    """`GMPruningModifier 1–8`: the type and the epochs it is active."""
    if entry.spec is not None:
        start: Any = entry.spec.effective_start_epoch
        end: Any = entry.spec.effective_end_epoch
    else:
        start, end = entry.args.get("start_epoch"), entry.args.get("end_epoch")
    a, b = _epoch_text(start, False), _epoch_text(end, True)
    if a is None and b is None:
        return entry.type
    return f"{entry.type} {a or '?'}–{b or '?'}"


def symbols(analysis: Analysis) -> list[Symbol]:
    """One symbol per modifier, in document order."""
    out = []
    for entry in analysis.modifiers():
        detail = entry.group if entry.stage is None else f"{entry.stage}.{entry.group}"
        out.append(Symbol(modifier_name(entry), detail, entry.span, entry.tag_span))
    return out
