"""The edit writer: a solution as position-exact text edits of the recipe.

Only the characters of a changed number, or of an `eval(...)` string whose literals
changed, are replaced, at the offsets of the positioned YAML tree: not a ruamel.yaml round
trip, which re-emits the whole document (with ruamel 0.18/0.19 that loses unused anchors,
re-spaces comments, rewrites `True` as `true` and can misplace tags). A detached field gets
a literal value of its own; an epoch duration left at its default is written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recipe_studio.diagnostics import Edit
from recipe_studio.read.recipe import FieldSite, ModifierEntry, path_text
from recipe_studio.read.source import Source
from recipe_studio.read.yamltree import YMap, YNode, YScalar, YSeq
from recipe_studio.transform.edit import (
    clean_float, node_offsets, python_number, scalar_text, scalar_value_offsets, span_offsets,
    yaml_number,
)
from recipe_studio.transform.scale.budget import Budget
from recipe_studio.transform.scale.model import Leaf, Model
from recipe_studio.transform.scale.result import Change, ScaleError
from recipe_studio.transform.scale.solver import Solution


@dataclass
class Written:
    """The edits of a solution (offsets into `Source.text`) and what they change."""

    edits: list[Edit] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    #: new values for variables given with --var/--vars (not written in the file)
    overrides: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, edit: Edit, change: Change) -> None:
        self.edits.append(edit)
        self.changes.append(change)


def write_edits(model: Model, solution: Solution, source: Source, budget: Budget,
                round_decimals: int | None) -> Written:
    """The edits for `solution`. Raises :class:`ScaleError` for a value that cannot be
    written (negative inside an expression, shared through an anchor, not in the file)."""
    out = Written()
    parts = _leaf_edits(model, solution, source, out)
    _expression_edits(solution, source, parts, out)
    _detached_edits(model, solution, source, round_decimals, out)
    for leaf_key, fixed in solution.conflict.items():
        leaf = model.leaves[leaf_key]
        others = ", ".join(f.label for f in fixed[:3])
        out.notes.append(f"{leaf.what} is used as an epoch and by {others}; it keeps its "
                         "value")
    _default_edits(model, source, budget, round_decimals, out)
    return out


def _leaf_edits(model: Model, solution: Solution, source: Source, out: Written
                ) -> dict[int, tuple[YScalar, list[Leaf], list[tuple[int, int, str]]]]:
    """Edits of the changed literal leaves; the changed literals inside `eval(...)` are
    returned by scalar (id(node) -> node, leaves, (start, end, text) in its value)."""
    x0, x = solution.x0, solution.x
    changed = {k for k in model.leaves
               if abs(x[k] - x0[k]) > 1e-12 * max(1.0, abs(x0[k]))}
    parts: dict[int, tuple[YScalar, list[Leaf], list[tuple[int, int, str]]]] = {}
    for k in sorted(changed, key=lambda k: _place(model.leaves[k])):
        leaf = model.leaves[k]
        new = x[k]
        if not leaf.editable or leaf.node is None:
            if leaf.var:
                out.overrides[leaf.var] = new
            continue
        if new < 0 and leaf.span is not None:
            raise ScaleError(f"scaling would make {leaf.what} negative ({new:g})")
        if leaf.span is None:
            a, b = scalar_value_offsets(source, leaf.node)
            text = yaml_number(new, integer=leaf.integer)
            if leaf.string and leaf.node.style:
                text = scalar_text(text, leaf.node.style)
            out.add(Edit(a, b, text), Change(leaf.line, leaf.what, source.text[a:b], text))
        else:
            node, leaves, edits = parts.setdefault(id(leaf.node), (leaf.node, [], []))
            leaves.append(leaf)
            edits.append((leaf.span[0], leaf.span[1], python_number(new, integer=leaf.integer)))
    return parts


def _place(leaf: Leaf) -> tuple[Any, ...]:
    """Where a leaf is written: the order of the changes (two on one line by column)."""
    if leaf.node is None:
        return (leaf.line, -1, (0, 0), str(leaf.key))
    return (leaf.line, leaf.node.start, leaf.span or (0, 0), "")


def _expression_edits(solution: Solution, source: Source,
                      parts: dict[int, tuple[YScalar, list[Leaf], list[tuple[int, int, str]]]],
                      out: Written) -> None:
    """One edit per `eval(...)` string whose literals changed."""
    detached_nodes = {id(f.site.node) for f in solution.detach
                      if f.site is not None and f.site.alias is None}
    for nid, (node, leaves, edits) in parts.items():
        if nid in detached_nodes:
            continue  # the field is rewritten whole
        value: str = node.value
        new_value = value
        for a, b, t in sorted(edits, reverse=True):
            new_value = new_value[:a] + t + new_value[b:]
        a, b = scalar_value_offsets(source, node)
        text = scalar_text(new_value, node.style)
        out.add(Edit(a, b, text), Change(source.position(a)[0], leaves[-1].owner or f"`{value}`",
                                         source.text[a:b], text))


def _detached_edits(model: Model, solution: Solution, source: Source,
                    round_decimals: int | None, out: Written) -> None:
    """A literal value of its own for each detached field, with the reason as a note."""
    detach_leaves: set[Any] = set()
    for f in solution.detach:
        leaf = model.direct_leaf(f.expr)
        if leaf is not None:
            detach_leaves.add(leaf)
    for f in solution.detach:
        site = f.site
        target = f.target
        if round_decimals is not None:
            target = round(target, round_decimals)
        target = clean_float(target)
        if site is None:
            raise ScaleError(f"cannot scale {f.label}: it is not written in the recipe")
        text = yaml_number(target, integer=f.integral or (
            float(f.old).is_integer() and float(target).is_integer() and f.kind != "gamma"
            and _written_int(site)))
        node = site.node
        if site.alias is None and node is not None and node.anchor:
            raise ScaleError(
                f"cannot scale {f.label}: its value `&{node.anchor}` is shared with "
                "fields that must keep their value; give it a value of its own")
        a, b = span_offsets(source, site.value_span)
        if site.alias is None and node is not None:
            a, b = node_offsets(source, node)
        assert f.entry is not None
        out.add(Edit(a, b, text), Change(f.line, f"`{path_text(f.path)}` of `!{f.entry.type}`",
                                         source.text[a:b], text))
        users = sorted({model.leaves[k].what for k in f.deps if k in solution.conflict
                        or k in detach_leaves})
        why = solution.reasons.get(id(f)) or (
            f"it used {users[0]}, which other fields need unchanged"
            if users else "its expression cannot follow the new schedule")
        out.notes.append(f"{f.label} is now written as {text} ({why})")


def _default_edits(model: Model, source: Source, budget: Budget, round_decimals: int | None,
                   out: Written) -> None:
    """Epoch durations left at their default, written out scaled."""
    for entry, name, default in model.inserts:
        spec = entry.spec
        assert spec is not None
        window = (spec.effective_start_epoch, spec.effective_end_epoch)
        value = clean_float(default * budget.stretch(window))
        if round_decimals is not None:
            value = round(value, round_decimals)
        if value == default:
            continue
        edit = _insertion(source, entry, name, yaml_number(value, integer=False))
        if edit is None:
            out.notes.append(f"`{name}` of `!{entry.type}` (line {entry.line}) is left at "
                             f"its default {default:g}: add `{name}: {value:g}` by hand")
            continue
        out.add(edit, Change(entry.line, f"`{name}` of `!{entry.type}` (default "
                                         f"{default:g}, now written)", "",
                             edit.text.strip(" ,\n")))


def _insertion(source: Source, entry: ModifierEntry, name: str, value: str) -> Edit | None:
    """A new `name: value` line (or flow entry) at the end of a modifier's mapping."""
    node = entry.node
    if not isinstance(node, YMap) or not node.pairs:
        return None
    text = source.text
    if node.flow:
        close = source.start + node.end - 1
        if text[close] != "}":
            return None
        return Edit(close, close, f", {name}: {value}")
    last: YNode = node.pairs[-1].value.node
    end = node.pairs[-1].value.end
    while isinstance(last, (YMap, YSeq)) and not last.flow:
        items = [p.value for p in last.pairs] if isinstance(last, YMap) else last.items
        if not items:
            break
        end, last = items[-1].end, items[-1].node
    pos = source.start + end
    if pos > 0 and text[pos - 1] == "\n":
        pos -= 1
    else:
        nl = text.find("\n", pos)
        pos = len(text) if nl < 0 else nl
    column = source.position(source.start + node.pairs[0].key.start)[1]
    return Edit(pos, pos, "\n" + " " * (column - 1) + f"{name}: {value}")


def _written_int(site: FieldSite) -> bool:
    node = site.node
    return isinstance(node, YScalar) and isinstance(node.value, int) and \
        not isinstance(node.value, bool)
