"""Semantic diff of two stage recipes: what the library would do differently (issue 12).

Both recipes are read for the same library (`--target`, the configuration, else the first
recipe's inferred target) and compared on the arguments each modifier receives (SparseML 1.8:
`eval(...)` resolved), so layout, comments, key order, `5` versus `5.0` and an argument
written out at its model's default are not differences.

Modifiers are paired across the two recipes by where they are and what they are: the same
stage, group and type first (in order, when a group holds the same type twice), then the same
stage and type (the group was renamed), then the same type anywhere (the modifier moved to
another stage), nearest position first. A paired modifier whose arguments differ gives one
`changed` entry per field (nested fields by dotted path: `config_groups.group_0.weights.
num_bits`), a move gives a `stage` / `group` change; an unpaired one is `added` or `removed`.
Stages are compared too: a stage only one recipe has, and `run_type` / `enabled` changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.diff.semantic import DiffError, _jsonable, same
from recipe_studio.read.recipe import Recipe
from recipe_studio.read.stage.recipe import RecipeStage, StageModifier

__all__ = ["DiffError", "StageChange", "StageDiff", "diff_stage_recipes", "pair"]


@dataclass(frozen=True)
class StageChange:
    """One difference: a stage or a modifier added, removed or changed."""

    kind: str  # added | removed | changed
    #: "stage" or "modifier"
    what: str
    type: str | None = None
    stage_a: str | None = None
    stage_b: str | None = None
    group_a: str | None = None
    group_b: str | None = None
    index_a: int | None = None
    index_b: int | None = None
    field: str | None = None
    a: Any = None
    b: Any = None
    line_a: int | None = None
    line_b: int | None = None
    via_variable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "what": self.what}
        if self.what == "modifier":
            out["modifier"] = {"type": self.type, "stage_a": self.stage_a,
                               "stage_b": self.stage_b, "group_a": self.group_a,
                               "group_b": self.group_b, "index_a": self.index_a,
                               "index_b": self.index_b}
        else:
            out["stage"] = {"a": self.stage_a, "b": self.stage_b}
        out.update({"field": self.field, "a": _jsonable(self.a), "b": _jsonable(self.b),
                    "line_a": self.line_a, "line_b": self.line_b,
                    "via_variable": self.via_variable})
        return out


@dataclass
class StageDiff:
    a: Recipe
    b: Recipe
    target: str
    changes: list[StageChange]
    #: (index in a, index in b) of paired modifiers (indices into `StageRecipe.modifiers`)
    pairs: list[tuple[int, int]]
    notes: list[str] = field(default_factory=list)

    @property
    def equivalent(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {"equivalent": self.equivalent, "kind": "stage", "target": self.target,
                "stages": {"a": _outline(self.a), "b": _outline(self.b)},
                "pairs": [list(p) for p in self.pairs],
                "changes": [c.to_dict() for c in self.changes]}


def _outline(recipe: Recipe) -> list[dict[str, Any]]:
    return [{"name": s.name, "key": s.key, "modifiers": [f"{m.group}/{m.type}" for m in s.modifiers]}
            for s in recipe.stage_recipe.stages]


# ---- pairing ----------------------------------------------------------------------------------

def pair(a: list[StageModifier], b: list[StageModifier]) -> list[tuple[int, int]]:
    """(position in a, position in b) of the modifiers that are the same modifier: same stage,
    group and type; then same stage and type; then same type; nearest position first."""
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int, int]] = []
    na, nb = max(len(a), 1), max(len(b), 1)
    keys = (lambda m: (m.stage, m.group, m.type), lambda m: (m.stage, m.type),
            lambda m: (m.type,))
    for key in keys:
        candidates = []
        for i, x in enumerate(a):
            if i in used_a:
                continue
            for j, y in enumerate(b):
                if j not in used_b and key(x) == key(y):
                    # the k-th of its kind pairs with the k-th first, then the nearest
                    candidates.append((abs(i / na - j / nb), i, j))
        for _, i, j in sorted(candidates):
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return sorted(pairs)


# ---- values ---------------------------------------------------------------------------------

_MISSING = object()


def _default(m: StageModifier, key: str) -> Any:
    """The model's default for an argument the modifier does not write (_MISSING if none)."""
    if m.spec is None:
        return _MISSING
    info = type(m.spec).model_fields.get(key)
    if info is None or info.is_required():
        return _MISSING
    try:
        return info.get_default(call_default_factory=True)
    except Exception:  # pragma: no cover - a factory that needs arguments
        return _MISSING


def _field_changes(x: Any, y: Any, path: tuple[str, ...], out: list[tuple[str, Any, Any]]
                   ) -> None:
    if same(x, y):
        return
    if isinstance(x, dict) and isinstance(y, dict):
        for key in list(x) + [k for k in y if k not in x]:
            _field_changes(x.get(key), y.get(key), path + (str(key),), out)
        return
    out.append((".".join(path), x, y))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _via(ra: Recipe, rb: Recipe, raw_a: Any, raw_b: Any) -> str | None:
    """SparseML: the variables an `eval(...)` argument reads whose values differ."""
    va, vb = ra.stage_recipe.variables, rb.stage_recipe.variables
    names: list[str] = []
    for raw in (raw_a, raw_b):
        if isinstance(raw, str) and "eval(" in raw:
            names.extend(n for n in _NAME.findall(raw) if n in va or n in vb)
    names = [n for n in dict.fromkeys(names) if not same(va.get(n), vb.get(n))]
    return ", ".join(names) or None


def _modifier_changes(ra: Recipe, rb: Recipe, x: StageModifier, y: StageModifier,
                      ia: int, ib: int) -> list[StageChange]:
    base = dict(type=x.type, stage_a=x.stage, stage_b=y.stage, group_a=x.group,
                group_b=y.group, index_a=ia, index_b=ib)
    out = []
    for name, a, b in (("stage", x.stage, y.stage), ("group", x.group, y.group)):
        if a != b:
            out.append(StageChange("changed", "modifier", field=name, a=a, b=b,
                                   line_a=x.key_span.line, line_b=y.key_span.line, **base))
    found: list[tuple[str, Any, Any]] = []
    for key in list(x.args) + [k for k in y.args if k not in x.args]:
        va = x.args[key] if key in x.args else _default(x, key)
        vb = y.args[key] if key in y.args else _default(y, key)
        if va is _MISSING:
            va = None
        if vb is _MISSING:
            vb = None
        _field_changes(va, vb, (str(key),), found)
    for path, a, b in found:
        top = path.split(".")[0]
        raw_a = (x.raw_args or {}).get(top) if isinstance(x.raw_args, dict) else None
        raw_b = (y.raw_args or {}).get(top) if isinstance(y.raw_args, dict) else None
        out.append(StageChange("changed", "modifier", field=path, a=a, b=b,
                               line_a=x.value_span(*path_of(path)).line,
                               line_b=y.value_span(*path_of(path)).line,
                               via_variable=_via(ra, rb, raw_a, raw_b), **base))
    return out


def path_of(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def _stage_changes(sa: list[RecipeStage], sb: list[RecipeStage]) -> list[StageChange]:
    out = []
    by_b = {s.name: s for s in sb}
    names_a = {s.name for s in sa}
    for s in sa:
        t = by_b.get(s.name)
        if t is None:
            out.append(StageChange("removed", "stage", stage_a=s.name, line_a=s.span.line))
            continue
        for name, a, b in (("run_type", s.run_type, t.run_type),
                           ("enabled", s.values.get("enabled", True),
                            t.values.get("enabled", True))):
            if a != b:
                out.append(StageChange("changed", "stage", stage_a=s.name, stage_b=t.name,
                                       field=name, a=a, b=b, line_a=s.span.line,
                                       line_b=t.span.line))
    for t in sb:
        if t.name not in names_a:
            out.append(StageChange("added", "stage", stage_b=t.name, line_b=t.span.line))
    order_a = [s.name for s in sa if s.name in by_b]
    order_b = [t.name for t in sb if t.name in names_a]
    if order_a != order_b:
        out.append(StageChange("changed", "stage", field="order", a=order_a, b=order_b))
    return out


# ---- entry point ----------------------------------------------------------------------------

def diff_stage_recipes(a: Recipe, b: Recipe) -> StageDiff:
    """The differences between two loaded stage recipes (:class:`DiffError` when one is not a
    stage recipe or has errors)."""
    notes: list[str] = []
    for r, name in ((a, "first"), (b, "second")):
        if r.stage_recipe is None:
            raise DiffError(f"the {name} recipe is not a stage recipe; a stage recipe is "
                            "compared only with another stage recipe", r)
        if not r.ok:
            first = r.errors[0].message if r.errors else ""
            raise DiffError(f"the {name} recipe has errors ({first})", r)
    if a.stage_recipe.target != b.stage_recipe.target:
        raise DiffError(f"the recipes are read for different libraries "
                        f"({a.stage_recipe.target}, {b.stage_recipe.target}); pass --target")
    ma, mb = a.stage_recipe.modifiers, b.stage_recipe.modifiers
    pairs = pair(ma, mb)
    changes = _stage_changes(a.stage_recipe.stages, b.stage_recipe.stages)
    paired_a = {i for i, _ in pairs}
    paired_b = {j for _, j in pairs}
    mod_changes: list[tuple[float, int, StageChange]] = []
    for i, j in pairs:
        for c in _modifier_changes(a, b, ma[i], mb[j], i, j):
            mod_changes.append((i, 1, c))
    for i, m in enumerate(ma):
        if i not in paired_a:
            mod_changes.append((i, 0, StageChange(
                "removed", "modifier", type=m.type, stage_a=m.stage, group_a=m.group,
                index_a=i, a=dict(m.args), line_a=m.key_span.line)))
    for j, m in enumerate(mb):
        if j not in paired_b:
            before = [i for i, jj in pairs if jj < j]
            at = (max(before) + 0.5) if before else -0.5
            mod_changes.append((at, 2, StageChange(
                "added", "modifier", type=m.type, stage_b=m.stage, group_b=m.group,
                index_b=j, b=dict(m.args), line_b=m.key_span.line)))
    mod_changes.sort(key=lambda t: (t[0], t[1]))
    changes.extend(c for _, _, c in mod_changes)
    return StageDiff(a, b, a.stage_recipe.target, changes, pairs, notes)


# ---- text -----------------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    from recipe_studio.render.stages import _short

    return "-" if value is None else _short(value, 60)


def render_text(result: StageDiff, name_a: str, name_b: str, out: Any) -> None:
    from recipe_studio.models import stage as stage_models

    lib = stage_models.display(result.target)

    def count(r: Recipe) -> str:
        ns, nm = len(r.stage_recipe.stages), len(r.stage_recipe.modifiers)
        return f"{ns} stage{'s' if ns != 1 else ''}, {nm} modifier{'s' if nm != 1 else ''}"

    out.write(f"stage recipes read for {lib}\n  a: {name_a} ({count(result.a)})\n"
              f"  b: {name_b} ({count(result.b)})\n\n")
    if result.equivalent:
        out.write(f"equivalent: {lib} builds the same stages and modifiers from both recipes\n")
        return
    current = None
    for c in result.changes:
        if c.what == "stage":
            current = None
            if c.kind == "changed" and c.field == "order":
                out.write(f"~ stage order: {', '.join(c.a)} → {', '.join(c.b)}\n")
            elif c.kind == "changed":
                out.write(f"~ stage {c.stage_a}  (line {c.line_a} → line {c.line_b})\n"
                          f"    {c.field}: {_fmt(c.a)} → {_fmt(c.b)}\n")
            elif c.kind == "added":
                out.write(f"+ stage {c.stage_b}  (added, line {c.line_b})\n")
            else:
                out.write(f"- stage {c.stage_a}  (removed, line {c.line_a})\n")
            continue
        if c.kind == "changed":
            key = (c.index_a, c.index_b)
            if key != current:
                current = key
                where = (f"stage {c.stage_a}" if c.stage_a == c.stage_b else
                         f"stage {c.stage_a} → {c.stage_b}")
                out.write(f"~ {c.group_a}/{c.type}  in {where}  "
                          f"(line {_line(result.a, c.index_a)} → line "
                          f"{_line(result.b, c.index_b)})\n")
            via = f"   (via `{c.via_variable}`)" if c.via_variable else ""
            out.write(f"    {c.field}: {_fmt(c.a)} → {_fmt(c.b)}{via}\n")
        else:
            current = None
            sign, stage, group, line, values = (
                ("-", c.stage_a, c.group_a, c.line_a, c.a) if c.kind == "removed" else
                ("+", c.stage_b, c.group_b, c.line_b, c.b))
            out.write(f"{sign} {group}/{c.type}  in stage {stage}  ({c.kind}, line {line})\n")
            if values:
                out.write("    " + ", ".join(f"{k}: {_fmt(v)}" for k, v in values.items())
                          + "\n")
    n = len(result.changes)
    out.write(f"\n{n} difference{'s' if n != 1 else ''}\n")


def _line(recipe: Recipe, index: int | None) -> Any:
    if index is None:
        return "-"
    return recipe.stage_recipe.modifiers[index].key_span.line
