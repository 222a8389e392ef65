"""Semantic diff of two recipes: what SparseML would do differently, not how the text differs.

Both recipes are loaded as SparseML loads them and compared on the values its modifiers
receive (`eval()` resolved, anchors expanded, defaults filled in by the modifier models), so
layout, comments, key order, anchors versus literals, `!pytorch.` prefixes, `5` versus
`5.0`, a default written out or left out, and fields SparseML throws away are not
differences.

Modifiers are paired, per type, by how alike they are: the same `params` first, then the
number of equal fields, then the closest position (and the same stage). A paired modifier
whose fields differ is one `changed` entry per field, never a removal plus an addition.
Each change names the variable it came from (`via_variable`): the variable whose
definition differs between the two recipes, found by following `eval()` and aliases from
the field back through the variables it reads.

A schedule summary leads (from the schedule engine when it can simulate the recipes):
total epochs, the final sparsity of each pruning modifier, where QAT starts, and the
learning rate at the key points of either schedule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.read.recipe import ModifierEntry, Recipe
from recipe_studio.read.variables import Override, Variable

#: fields that say *what* a modifier acts on (pairing prefers equal ones)
TARGET_FIELDS = ("params", "layers", "submodules", "param_groups", "layer_names")


class DiffError(Exception):
    """A recipe cannot be compared (it does not load); carries its diagnostics."""

    def __init__(self, message: str, recipe: Recipe | None = None):
        super().__init__(message)
        self.message = message
        self.recipe = recipe


@dataclass(frozen=True)
class Change:
    """One semantic difference."""

    kind: str  # added | removed | changed
    type: str
    index_a: int | None
    index_b: int | None
    #: dotted field path (`end_epoch`, `lr_kwargs.gamma`); None for a whole modifier
    field: str | None = None
    a: Any = None
    b: Any = None
    via_variable: str | None = None
    line_a: int | None = None
    line_b: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind,
                "modifier": {"type": self.type, "index_a": self.index_a,
                             "index_b": self.index_b},
                "field": self.field, "a": _jsonable(self.a), "b": _jsonable(self.b),
                "via_variable": self.via_variable}


@dataclass
class Summary:
    """The schedule at a glance, for one recipe."""

    total_epochs: int
    declared_end: float | None
    #: modifier index -> final sparsity (a number, or a tuple per group)
    final_sparsity: dict[int, Any] = field(default_factory=dict)
    qat_start: float | None = None
    #: epoch -> learning rate in force (None: the optimizer's own)
    lr: dict[float, float | None] = field(default_factory=dict)
    note: str | None = None


@dataclass
class DiffResult:
    a: Recipe
    b: Recipe
    changes: list[Change]
    pairs: list[tuple[int, int]]
    summary_a: Summary
    summary_b: Summary
    #: things to know that are not differences (a recipe SparseML would refuse as written)
    notes: list[str] = field(default_factory=list)

    @property
    def equivalent(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {"equivalent": self.equivalent,
                "changes": [c.to_dict() for c in self.changes],
                "summary": {"a": _summary_dict(self.summary_a),
                            "b": _summary_dict(self.summary_b)}}


# ---- entry points ----------------------------------------------------------------------

def diff_paths(a: str, b: str, *, overrides: Iterable[Override] | Mapping[str, Any] = ()
               ) -> DiffResult:
    """Load two recipe files and compare them (:class:`DiffError` if one does not load)."""
    from recipe_studio.read.load import load

    overrides = list(overrides.items()) if isinstance(overrides, Mapping) else list(overrides)
    ra = load(a, overrides=_for(overrides, a))
    rb = load(b, overrides=_for(overrides, b))
    return diff_recipes(ra, rb)


def diff_texts(a: str, b: str, *, path_a: str = "a.yaml", path_b: str = "b.yaml") -> DiffResult:
    """Compare two recipes given as text."""
    from recipe_studio.read.load import load

    return diff_recipes(load(a, path=path_a), load(b, path=path_b))


def _for(overrides: list[Any], path: str) -> list[Override]:
    out = []
    for ov in overrides:
        out.append(ov if isinstance(ov, Override) else Override(str(ov[0]), ov[1],
                                                                f"{ov[0]}={ov[1]}"))
    return out


#: errors about how a recipe is *written* that leave its values known: the diff still runs
#: (and says that SparseML would not load the file as it is)
TEXTUAL_ERRORS = {"RS005", "RS007", "RS010", "RS011", "RS012"}


def diff_recipes(a: Recipe, b: Recipe) -> DiffResult:
    """The semantic differences between two loaded recipes."""
    notes = []
    for r, name in ((a, "first"), (b, "second")):
        bad = [d for d in r.errors if d.code not in TEXTUAL_ERRORS]
        if r.source is None or bad or (r.doc is not None and r.doc.root is None):
            first = (bad or r.diagnostics)[0].message if (bad or r.diagnostics) else ""
            raise DiffError(f"the {name} recipe has errors ({first})", r)
        textual = sorted({d.code for d in r.errors})
        if textual:
            notes.append(f"{r.path or name}: SparseML 1.8 would not load it as written "
                         f"({', '.join(textual)}; run `recipe-studio lint`)")
    pairs = pair_modifiers(a.modifiers, b.modifiers)
    changes: list[Change] = []
    paired_a = {i for i, _ in pairs}
    paired_b = {j for _, j in pairs}
    for i, j in pairs:
        changes.extend(_field_changes(a, b, a.modifiers[i], b.modifiers[j]))
    for m in a.modifiers:
        if m.index not in paired_a:
            changes.append(Change("removed", m.type, m.index, None, a=_values(m),
                                  line_a=m.line))
    for m in b.modifiers:
        if m.index not in paired_b:
            changes.append(Change("added", m.type, None, m.index, b=_values(m), line_b=m.line))
    changes.sort(key=lambda c: (c.index_a if c.index_a is not None else
                                _position_in_a(c.index_b, pairs), c.kind != "removed"))
    return DiffResult(a, b, changes, pairs, summarize(a), summarize(b), notes)


def _position_in_a(index_b: int | None, pairs: list[tuple[int, int]]) -> float:
    """Where an added modifier sits relative to the first recipe's order."""
    before = [i for i, j in pairs if index_b is not None and j < index_b]
    return (max(before) + 0.5) if before else -0.5


# ---- pairing ----------------------------------------------------------------------------

def _values(m: ModifierEntry) -> dict[Any, Any]:
    """What a modifier's fields are, as SparseML receives them (defaults filled in)."""
    if m.spec is None:
        return dict(m.args)
    ignored = type(m.spec).ignored_fields()
    return {k: v for k, v in m.spec.args().items() if k not in ignored}


def _target(m: ModifierEntry) -> Any:
    values = _values(m)
    return tuple(_norm(values.get(f)) for f in TARGET_FIELDS)


def pair_modifiers(a: list[ModifierEntry], b: list[ModifierEntry]) -> list[tuple[int, int]]:
    """(index in a, index in b) for modifiers that are the same modifier, possibly changed."""
    candidates = []
    na, nb = max(len(a), 1), max(len(b), 1)
    for x in a:
        vx = _values(x)
        for y in b:
            if x.type != y.type:
                continue
            vy = _values(y)
            equal = sum(1 for k in set(vx) | set(vy) if same(vx.get(k), vy.get(k)))
            distance = abs(x.index / na - y.index / nb)
            candidates.append(((_target(x) == _target(y)), x.stage == y.stage, equal,
                               -distance, -x.index, -y.index, x.index, y.index))
    candidates.sort(reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for *_, i, j in candidates:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((i, j))
    return sorted(pairs)


# ---- comparing values ---------------------------------------------------------------------

def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return tuple(sorted(((str(_norm(k)), _norm(v)) for k, v in value.items()),
                            key=lambda kv: kv[0]))
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    return repr(value)


def same(x: Any, y: Any) -> bool:
    """Equal as SparseML sees them: 5 == 5.0, dict order and float noise do not matter."""
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y or (isinstance(x, bool) and isinstance(y, bool) and x == y)
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        if math.isnan(x) and math.isnan(y):
            return True
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15)
    if isinstance(x, dict) and isinstance(y, dict):
        kx = {_norm(k): v for k, v in x.items()}
        ky = {_norm(k): v for k, v in y.items()}
        return kx.keys() == ky.keys() and all(same(kx[k], ky[k]) for k in kx)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(same(p, q) for p, q in zip(x, y))
    return type(x) is type(y) and x == y


def _field_changes(ra: Recipe, rb: Recipe, a: ModifierEntry, b: ModifierEntry
                   ) -> list[Change]:
    va, vb = _values(a), _values(b)
    out = []
    for key in list(va) + [k for k in vb if k not in va]:
        x, y = va.get(key), vb.get(key)
        if same(x, y):
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            for sub in list(x) + [k for k in y if k not in x]:
                if not same(x.get(sub), y.get(sub)):
                    out.append(_change(ra, rb, a, b, (key, sub), x.get(sub), y.get(sub)))
            continue
        out.append(_change(ra, rb, a, b, (key,), x, y))
    return out


def _change(ra: Recipe, rb: Recipe, a: ModifierEntry, b: ModifierEntry, path: tuple[Any, ...],
            x: Any, y: Any) -> Change:
    site_a = a.fields.get(path) or a.fields.get(path[:1])
    site_b = b.fields.get(path) or b.fields.get(path[:1])
    line_a = site_a.value_span.line if site_a else a.line
    line_b = site_b.value_span.line if site_b else b.line
    # a field written on one side only did not change through a variable
    via = _via(ra, rb, a, b, path) if site_a is not None and site_b is not None else None
    return Change("changed", a.type, a.index, b.index, ".".join(str(p) for p in path), x, y,
                  via, line_a, line_b)


def _site_variables(recipe: Recipe, entry: ModifierEntry, path: tuple[Any, ...]) -> set[str]:
    names: set[str] = set()
    for p, site in entry.fields.items():
        if p[:len(path)] == path or path[:len(p)] == p:
            names.update(site.variables)
    return names


def _scope(recipe: Recipe, entry: ModifierEntry) -> dict[str, Variable]:
    scope = dict(recipe.variables)
    if entry.stage:
        for s in recipe.stages:
            if s.name == entry.stage:
                scope.update(s.variables)
    return scope


def _closure(names: set[str], scope: Mapping[str, Variable]) -> list[str]:
    seen: list[str] = []
    stack = sorted(names)
    while stack:
        n = stack.pop(0)
        if n in seen or n not in scope:
            continue
        seen.append(n)
        v = scope[n]
        stack.extend(d for d in v.deps if d not in seen)
        if v.expression and v.expression.strip() in scope and not v.deps:
            stack.append(v.expression.strip())
    return seen


def _via(ra: Recipe, rb: Recipe, a: ModifierEntry, b: ModifierEntry,
         path: tuple[Any, ...]) -> str | None:
    """The variable(s) whose definition changed and feed this field."""
    sa, sb = _scope(ra, a), _scope(rb, b)
    names = _closure(_site_variables(ra, a, path), sa) + [
        n for n in _closure(_site_variables(rb, b, path), sb)]
    names = list(dict.fromkeys(names))
    if not names:
        return None

    def defined_differently(n: str) -> bool:
        va, vb = sa.get(n), sb.get(n)
        if va is None or vb is None:
            return True
        return not same(va.raw, vb.raw)

    roots = [n for n in names if defined_differently(n)]
    if not roots:  # the field's expression itself changed: name what it reads
        changed = [n for n in names if n in sa and n in sb and not same(sa[n].value,
                                                                         sb[n].value)]
        roots = changed
    return ", ".join(roots) if roots else None


# ---- schedule summary ---------------------------------------------------------------------

def summarize(recipe: Recipe) -> Summary:
    """Total epochs, final sparsities, QAT start and key learning rates of one recipe."""
    from recipe_studio.schedule.timeline import timeline

    tl = timeline(recipe)
    summary = Summary(total_epochs=tl.max_epochs, declared_end=tl.declared_end)
    qat = [i.start for i in tl.intervals if i.type == "QuantizationModifier" and i.start > -1]
    summary.qat_start = min(qat) if qat else None
    try:
        from recipe_studio.schedule.simulation import simulate

        total = max(tl.max_epochs, 1)
        spe = max(1, min(20, 100_000 // total))
        sched = simulate(recipe, spe)
    except Exception as e:  # the summary is a convenience; never fail the diff on it
        summary.note = f"schedule not simulated: {e}"
        for m in recipe.modifiers:
            spec = m.spec
            if spec is not None and spec.family == "pruning" and hasattr(spec, "final_sparsity"):
                summary.final_sparsity[m.index] = getattr(spec, "final_sparsity")
        return summary
    for track in sched.pruning:
        summary.final_sparsity[track.index] = sched.final_sparsity(track.index)
    points = {0.0, float(sched.total_epochs)}
    for phase in sched.phases():
        points.update((phase.start, phase.end))
    for p in sorted(points):
        epoch = min(p, float(sched.total_epochs))
        if epoch >= sched.total_epochs:  # the last step of training
            k = sched.n_steps - 1
            summary.lr[float(sched.total_epochs)] = sched.lr.at(k) if sched.n_steps else None
        else:
            summary.lr[epoch] = sched.lr_at(epoch)
    return summary


def key_epochs(a: Summary, b: Summary) -> list[float]:
    return sorted(set(a.lr) | set(b.lr))


def _summary_dict(s: Summary) -> dict[str, Any]:
    return {"total_epochs": s.total_epochs, "declared_end": s.declared_end,
            "final_sparsity": {str(k): _jsonable(v) for k, v in s.final_sparsity.items()},
            "qat_start": s.qat_start,
            "lr": {_epoch_key(k): v for k, v in s.lr.items()}}


def _epoch_key(e: float) -> str:
    return f"{e:g}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
