"""Rescale a recipe to a new epoch budget, changing each value once, where it is written.

`recipe-studio scale PATH --epochs N` multiplies every epoch-valued field by
`r = N / B`, where `B` is the largest start or end epoch of the recipe (what SparseML
rounds up into `max_epochs`), so the scaled recipe loads with `max_epochs == N`.

What is an epoch comes from the modifier models (`epoch_fields()`, sparseml-recipes.md
§5.9): positions (`start_epoch`, `end_epoch`, `freeze_bn_stats_epoch`,
`disable_quantization_observer_epoch`, `update_epochs[*]`, MultiStepLR `milestones[*]`)
are mapped, durations (`update_frequency`, `cycle_epochs`, StepLR `step_size`,
CosineAnnealingWarmRestarts `cycle_epochs`) are stretched, ExponentialLR's per-epoch
`gamma` becomes `gamma ** (1 / stretch)` so the total decay is kept. `-1` sentinels,
`update_frequency <= 0` ("every step") and fields SparseML ignores are left alone; ACDC
epochs and CosineAnnealingWarmRestarts `cycle_epochs` stay whole numbers.
`--keep-quantization` keeps the QAT tail (from the first QuantizationModifier start to
the end) at its length and fits everything before it into the rest of the budget.

**Variables.** Every number that reaches a modifier field is a *leaf*: a literal field
value, an anchored value (one leaf however many aliases use it), a numeric variable, or a
number literal inside an `eval(...)` expression. Each numeric field is a function of its
leaves, and scaling means choosing new leaf values so that every epoch field hits its
target and every other field keeps its value:

1. a dimension analysis over the expressions tells which leaves are epochs (dimension 1,
   scaled by r), which are not (0: fractions, learning rates, sparsities) and which are
   ratios of epochs; for `eval(num_epochs - qat_epochs + 2)` it scales the two variables
   and the `2`, for `eval(pruning_start_target * num_epochs)` only `num_epochs`;
2. that guess is exact for the usual linear recipes; when it is not (`--keep-quantization`
   with fractions of `num_epochs`, expressions mixing roles), a small Gauss-Newton solve
   with minimal weighted change fixes the free leaves, preferring variables over literals
   inside expressions and epochs over fractions;
3. a leaf used as-is both as an epoch and as something else (a variable that is a start
   epoch *and* a step count) is a conflict: it keeps its value, and the epoch fields that
   used it get a literal value of their own — each such change is reported;
4. the result is evaluated again with SparseML's semantics (`round()`, `int()`, `//`
   included) and reloaded; any field that differs from its target is reported (a recipe
   that rounds its own epochs keeps doing so).

**Editing.** Changes are position-exact text edits at the offsets of the positioned YAML
tree (only the characters of a changed number, or of an `eval(...)` string, are
replaced), not a ruamel.yaml round trip: a round trip re-emits the whole document, and
with ruamel 0.18/0.19 that loses unused anchors, re-spaces comments, rewrites `True` as
`true` and can misplace tags, while the guarantees here are "every byte that is not a
changed number stays" and "scaling to the same budget is byte-identical". Markdown prose
around a recipe card is outside the YAML part and is never touched.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.diagnostics import Diagnostic, Severity
from recipe_studio.transform.edit import (
    TextEdit, apply_text_edits, clean_float, edit_original, node_offsets, python_number,
    read_for_edit,
    scalar_text, scalar_value_offsets, span_offsets, yaml_number,
)
from recipe_studio.read.evaluator import eval_body
from recipe_studio.models.learning_rate import LearningRateModifier
from recipe_studio.models.pruning import ACDCPruningModifier
from recipe_studio.models.quantization import QuantizationSpec
from recipe_studio.read.recipe import FieldSite, ModifierEntry, Recipe
from recipe_studio.read.variables import Override
from recipe_studio.read.yamltree import YMap, YNode, YScalar, YSeq

#: codes SparseML itself does not fail on (a duplicate key keeps its last value)
_TOLERATED_ERRORS = {"RS005"}
#: relative tolerance for "this field has its target value"
_TOL = 1e-9
_EPOCHISH = re.compile(r"epoch|warmup|cooldown|start|end|freq|cycle|milestone|step_size|"
                       r"duration|length|period|(^|_)eps?($|_)", re.I)
_POSITION_FIELDS = ("start_epoch", "end_epoch", "freeze_bn_stats_epoch",
                    "disable_quantization_observer_epoch", "update_epochs")


class ScaleError(Exception):
    """The recipe cannot be scaled; `diagnostics` says why (when it is the recipe's fault)."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()):
        super().__init__(message)
        self.message = message
        self.diagnostics = list(diagnostics)


@dataclass(frozen=True)
class Change:
    """One value written differently in the scaled recipe."""

    line: int
    what: str
    old: str
    new: str


@dataclass
class ScaleResult:
    """The scaled recipe text and what was done to get it."""

    text: str
    #: the largest start/end epoch before and after (SparseML's max_epochs rounds them up)
    old_epochs: float
    new_epochs: float
    old_max_epochs: int
    new_max_epochs: int
    #: the factor applied to epochs before the QAT tail (everything, without
    #: --keep-quantization)
    ratio: float
    changes: list[Change] = field(default_factory=list)
    #: explanations: conflicts resolved, values rounded, variables left alone
    notes: list[str] = field(default_factory=list)
    #: new values for variables given with --var/--vars (pass these with the result)
    overrides: dict[str, float] = field(default_factory=dict)
    #: (old, new) QAT start with --keep-quantization
    qat_start: tuple[float, float] | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# ---- public API -------------------------------------------------------------------------

def scale_recipe_text(text: str, epochs: float, *, path: str | None = None,
                      keep_quantization: bool = False,
                      round_decimals: int | None = None) -> str:
    """The recipe `text` rescaled to `epochs` epochs (see the module docstring).

    Raises :class:`ScaleError` (with diagnostics) for a recipe that does not load or
    cannot be scaled.
    """
    return scale_text(text, epochs, path=path, keep_quantization=keep_quantization,
                      round_decimals=round_decimals).text


def scale_text(text: str, epochs: float, *, path: str | None = None,
               keep_quantization: bool = False, round_decimals: int | None = None,
               overrides: Iterable[Override] | Mapping[str, Any] = ()) -> ScaleResult:
    """Scale a recipe given as text; the result carries the new text and a change list."""
    from recipe_studio.read.load import load
    from recipe_studio.read.source import SourceError, from_text

    try:
        source = from_text(text, path=path, form=None if path else "text")
    except SourceError as e:
        raise ScaleError(e.diagnostic.message, [e.diagnostic]) from None
    recipe = load(source, overrides=overrides)
    return _Scaler(recipe, text, float(epochs), keep_quantization, round_decimals).run()


def scale_file(path: str, epochs: float, *, keep_quantization: bool = False,
               round_decimals: int | None = None,
               overrides: Iterable[Override] | Mapping[str, Any] = ()) -> ScaleResult:
    """Scale the recipe file at `path` (nothing is written; see :func:`write_result`)."""
    from recipe_studio.read.load import load
    from recipe_studio.read.source import SourceError

    try:
        source, original = read_for_edit(path)
    except SourceError as e:
        raise ScaleError(e.diagnostic.message, [e.diagnostic]) from None

    recipe = load(source, overrides=overrides)
    return _Scaler(recipe, original, float(epochs), keep_quantization, round_decimals).run()


def write_result(result: ScaleResult, path: str, *, force: bool = False) -> None:
    """Write the scaled text atomically, byte for byte (its newlines and BOM are already
    the file's own); see :func:`recipe_studio.io.atomic_write_bytes` for links, modes and
    what `force` allows."""
    from recipe_studio.io import atomic_write_bytes

    atomic_write_bytes(path, result.text.encode("utf-8"), force=force)


# ---- the model: leaves, expressions, fields -------------------------------------------

@dataclass(eq=False)
class _Leaf:
    key: Any
    value: float
    integer: bool
    node: YScalar | None
    #: for a literal inside `eval(...)`: its character range in the scalar's string value
    span: tuple[int, int] | None
    what: str
    line: int
    var: str | None = None
    string: bool = False
    editable: bool = True
    #: for a literal inside `eval(...)`: what the expression is (a variable, a field)
    owner: str = ""


@dataclass(eq=False)
class _E:
    """A compiled expression node."""

    op: str  # leaf, var, num, + - * / // % **, neg, pos, call
    args: list[_E] = field(default_factory=list)
    key: Any = None
    kwargs: dict[str, _E] = field(default_factory=dict)


@dataclass(eq=False)
class _Field:
    entry: ModifierEntry
    path: tuple[Any, ...]
    kind: str  # pos, dur, gamma, keep
    expr: _E
    old: float
    target: float = 0.0
    integral: bool = False
    int_type: bool = False
    deps: frozenset[Any] = frozenset()
    label: str = ""
    line: int = 0
    #: dimension the field must have (1 epochs, 0 unchanged, None: no constraint)
    dim: int | None = None

    @property
    def site(self) -> FieldSite | None:
        return self.entry.fields.get(self.path)


class _Unsupported(Exception):
    pass


def _num(value: Any) -> tuple[float, bool, bool] | None:
    """(value, written as int, is a string) for a number SparseML would read as one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value), True, False
    if isinstance(value, float):
        return value, False, False
    if isinstance(value, str) and eval_body(value) is None:
        try:
            f = float(value)
        except ValueError:
            return None
        if math.isfinite(f):
            return f, False, True
    return None


def _path_text(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Mod: "%", ast.Pow: "**"}


class _Scaler:
    def __init__(self, recipe: Recipe, original: str, epochs: float, keep_quantization: bool,
                 round_decimals: int | None):
        self.recipe = recipe
        self.original = original
        self.epochs = epochs
        self.keep_q = keep_quantization
        self.round = round_decimals
        self.leaves: dict[Any, _Leaf] = {}
        #: (scope, name) -> definition
        self.defs: dict[tuple[str | None, str], _E | None] = {}
        self.def_nodes: dict[tuple[str | None, str], YNode | None] = {}
        self.fields: list[_Field] = []
        self.notes: list[str] = []
        self.compiled: dict[tuple[int, str | None], _E] = {}
        self.inserts: list[tuple[ModifierEntry, str, float]] = []

    # -- set-up ------------------------------------------------------------------------
    def run(self) -> ScaleResult:
        recipe = self.recipe
        errors = [d for d in recipe.errors if d.code not in _TOLERATED_ERRORS]
        if recipe.source is None or errors:
            first = errors[0].message if errors else "the recipe cannot be read"
            raise ScaleError(f"the recipe has errors; fix them before scaling ({first})",
                             errors or recipe.diagnostics)
        if not (self.epochs > 0 and math.isfinite(self.epochs)):
            raise ScaleError(f"--epochs must be a positive number, got {self.epochs:g}")
        if self.round is not None and not 0 <= self.round <= 12:
            raise ScaleError(f"--round must be between 0 and 12 decimals, got {self.round}")
        root = recipe.doc.root if recipe.doc else None
        if not isinstance(root, YMap) or root.custom_tag is not None:
            raise ScaleError("only recipes whose document is a mapping of variables and "
                             "modifier lists can be scaled")
        self.source = recipe.source
        self.budget()
        self.variables(root)
        for entry in recipe.modifiers:
            if entry.spec is not None:
                self.modifier_fields(entry)
        self.targets()
        return self.solve_and_edit()

    def budget(self) -> None:
        from recipe_studio.schedule.timeline import timeline

        tl = timeline(self.recipe)
        values = [v for i in tl.intervals for v in (i.start, i.end) if v > -1]
        self.old_max = tl.max_epochs
        if not values or max(values) <= 0:
            raise ScaleError(
                "the recipe has no epoch budget to scale: every start and end epoch is -1 "
                "or 0 (a one-shot recipe; SparseML's max_epochs is "
                f"{tl.max_epochs})")
        self.B = max(values)
        self.r = self.epochs / self.B
        self.qat: tuple[float, float] | None = None
        if self.keep_q:
            starts = [i.start for i in tl.intervals if isinstance(i.entry.spec, QuantizationSpec)]
            if not starts:
                raise ScaleError("--keep-quantization: the recipe has no QuantizationModifier")
            if min(starts) < 0:
                raise ScaleError("--keep-quantization: QAT starts at the first step "
                                 "(`start_epoch: -1`), so the whole recipe is the QAT tail")
            q = min(starts)
            tail = self.B - q
            if q <= 0:
                raise ScaleError("--keep-quantization: QAT starts at epoch 0, so the whole "
                                 "recipe is the QAT tail")
            if self.epochs <= tail:
                raise ScaleError(f"--keep-quantization: the QAT tail is {tail:g} epochs "
                                 f"(from epoch {q:g} to {self.B:g}); --epochs must be larger "
                                 "than that")
            self.qat = (q, self.epochs - tail)
            self.r1 = (self.epochs - tail) / q

    def phi(self, v: float) -> float:
        """Where epoch `v` goes."""
        if self.qat is None:
            return v * self.epochs / self.B
        q, q2 = self.qat
        if v <= q:
            return v * q2 / q
        return v - q + q2

    def slope(self, v: float) -> float:
        if self.qat is None:
            return self.r
        return self.r1 if v < self.qat[0] else 1.0

    def stretch(self, entry: ModifierEntry) -> float:
        spec = entry.spec
        assert spec is not None
        s = spec.effective_start_epoch
        e = spec.effective_end_epoch
        s = max(s, 0.0)
        e = e if e > -1 else self.B
        if e > s:
            return (self.phi(e) - self.phi(s)) / (e - s)
        return self.slope(s)

    # -- variables ---------------------------------------------------------------------
    def variables(self, root: YMap) -> None:
        for name, v in self.recipe.variables.items():
            pair = root.get(name)
            self.define(None, name, v, pair.value.node if pair else None)
        for stage in self.recipe.stages:
            pair = root.get(stage.name)
            node = pair.value.node if pair else None
            for name, v in stage.variables.items():
                sub = node.get(name) if isinstance(node, YMap) else None
                self.define(stage.name, name, v, sub.value.node if sub else None)

    def define(self, scope: str | None, name: str, v: Any, node: YNode | None) -> None:
        key = (scope, name)
        self.def_nodes[key] = node
        what = f"variable `{name}`" if scope is None else f"variable `{name}` of stage `{scope}`"
        line = v.value_span.line
        if v.overridden:
            n = _num(v.value) if v.numeric else None
            if n is not None:
                leaf = _Leaf(("override", scope, name), n[0], n[1], None, None, what, line,
                             var=name, editable=False)
                self.leaves[leaf.key] = leaf
                self.defs[key] = _E("leaf", key=leaf.key)
            else:
                self.defs[key] = None
            return
        if v.expression is not None and v.numeric and isinstance(node, YScalar):
            # (a stage's `eval(global)` resolves to the global through `lookup`)
            self.defs[key] = self.expression(node, v.expression, scope, what, line, var=name)
            return
        if v.numeric and isinstance(node, YScalar):
            n = _num(node.value)
            if n is not None:
                self.defs[key] = _E("leaf", key=self.scalar_leaf(node, what, line, var=name))
                return
            self.defs[key] = _E("num", key=v.value)  # a boolean
            return
        self.defs[key] = None

    def lookup(self, scope: str | None, name: str) -> tuple[str | None, str] | None:
        if scope is not None and (scope, name) in self.defs:
            return (scope, name)
        if (None, name) in self.defs:
            return (None, name)
        return None

    # -- leaves and expressions --------------------------------------------------------
    def scalar_leaf(self, node: YScalar, what: str, line: int, var: str | None = None) -> Any:
        key = ("node", id(node))
        if key not in self.leaves:
            n = _num(node.value)
            assert n is not None
            self.leaves[key] = _Leaf(key, n[0], n[1], node, None, what, line, var=var,
                                     string=n[2])
        elif var is not None and self.leaves[key].var is None:
            self.leaves[key].var = var
            self.leaves[key].what = what
        return key

    def expression(self, node: YScalar, body: str, scope: str | None, what: str, line: int,
                   var: str | None = None) -> _E:
        cache = (id(node), scope)
        if cache in self.compiled:
            return self.compiled[cache]
        stripped = body.strip()
        lead = len(body) - len(body.lstrip())
        try:
            tree = ast.parse(stripped)
        except SyntaxError:
            raise ScaleError(f"cannot read the expression `eval({body})`") from None
        lines = stripped.split("\n")
        starts = [0]
        for ln in lines[:-1]:
            starts.append(starts[-1] + len(ln) + 1)

        def offset(lineno: int, col: int) -> int:
            text = lines[lineno - 1]
            return starts[lineno - 1] + len(text.encode("utf-8")[:col].decode("utf-8",
                                                                              "ignore"))

        counter = [0]
        owner = f"`eval({body.strip()})` of {what}"

        def conv(n: ast.AST) -> _E:
            if isinstance(n, ast.Expr):
                return conv(n.value)
            if isinstance(n, ast.Constant) and not isinstance(n.value, bool) \
                    and isinstance(n.value, (int, float)):
                counter[0] += 1
                key = ("expr", id(node), counter[0])
                a = 5 + lead + offset(n.lineno, n.col_offset)
                b = 5 + lead + offset(n.end_lineno or n.lineno, n.end_col_offset or 0)
                if key not in self.leaves:
                    self.leaves[key] = _Leaf(key, float(n.value), isinstance(n.value, int),
                                             node, (a, b), f"`{ast.unparse(n)}` in {owner}",
                                             line, owner=what)
                return _E("leaf", key=key)
            if isinstance(n, ast.Name):
                ref = self.lookup(scope, n.id)
                if ref is None:
                    raise ScaleError(f"`eval({body})` uses `{n.id}`, which is not a variable")
                return _E("var", key=ref)
            if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
                return _E(_BINOPS[type(n.op)], [conv(n.left), conv(n.right)])
            if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
                return _E("neg" if isinstance(n.op, ast.USub) else "pos", [conv(n.operand)])
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                return _E("call", [conv(a) for a in n.args], key=n.func.id,
                          kwargs={k.arg: conv(k.value) for k in n.keywords if k.arg})
            raise ScaleError(f"cannot scale through `eval({body})`: unsupported expression")

        e = conv(tree.body[0])
        # `eval(global)` inside a stage: a reference to the global
        self.compiled[cache] = e
        return e

    def node_source(self, node: YNode, what: str, line: int, scope: str | None,
                    path: tuple[Any, ...], entry: ModifierEntry) -> None:
        """Fields whose value was substituted from a non-numeric variable (a list...)."""
        if isinstance(node, YScalar):
            n = _num(node.value)
            if n is not None:
                key = self.scalar_leaf(node, what + f" ({_path_text(path)})", line)
                self.add_field(entry, path, _E("leaf", key=key))
            elif isinstance(node.value, str) and eval_body(node.value) is not None:
                pass  # SparseML does not evaluate inside a substituted value
        elif isinstance(node, YSeq):
            for i, item in enumerate(node.items):
                self.node_source(item.node, what, line, scope, (*path, i), entry)
        elif isinstance(node, YMap):
            for k, pair in node.entries():
                self.node_source(pair.value.node, what, line, scope, (*path, k), entry)

    # -- fields ------------------------------------------------------------------------
    def modifier_fields(self, entry: ModifierEntry) -> None:
        for key in list(entry.args):
            if (key,) in entry.fields:
                self.walk(entry, (key,), entry.args[key])
        # epoch durations left at their default (SparsificationLogging `update_frequency`,
        # a cyclic_linear `cycle_epochs`) are written out, scaled
        spec = entry.spec
        assert spec is not None
        model = type(spec)
        for name in set(model.epoch_fields()) - set(model.ignored_fields()):
            info = model.model_fields[name]
            default = info.default
            if (name,) in entry.fields or info.is_required() or _num(default) is None \
                    or default <= 0 or name in _POSITION_FIELDS:
                continue
            if name == "cycle_epochs" and getattr(spec, "lr_func", None) != "cyclic_linear":
                continue
            self.inserts.append((entry, name, float(default)))

    def walk(self, entry: ModifierEntry, path: tuple[Any, ...], value: Any) -> None:
        site = entry.fields.get(path)
        if site is None:
            return
        scope = entry.stage
        line = site.value_span.line
        label = f"`{_path_text(path)}` of `!{entry.type}`"
        if site.expression is not None and isinstance(site.node, YScalar):
            body = site.expression
            ref = self.lookup(scope, body.strip()) if body.strip().isidentifier() else None
            if ref is not None and self.defs.get(ref) is None:
                node = self.def_nodes.get(ref)
                name = ref[1]
                if node is not None:
                    self.node_source(node, f"variable `{name}`", line, scope, path, entry)
                return
            if _num(value) is None:
                return
            self.add_field(entry, path, self.expression(site.node, body, scope, label, line))
            return
        node = site.node
        if isinstance(node, YScalar):
            if _num(value) is not None and _num(node.value) is not None:
                key = self.scalar_leaf(node, label, line)
                self.add_field(entry, path, _E("leaf", key=key))
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.walk(entry, (*path, i), item)
        elif isinstance(value, dict):
            for k, item in value.items():
                self.walk(entry, (*path, k), item)

    def add_field(self, entry: ModifierEntry, path: tuple[Any, ...], expr: _E) -> None:
        spec = entry.spec
        assert spec is not None
        model = type(spec)
        name = path[0]
        ignored = model.ignored_fields()
        epoch = set(model.epoch_fields()) - set(ignored)
        integral = isinstance(spec, ACDCPruningModifier) and name in epoch
        int_type = False
        if name in ignored or name not in model.model_fields:
            return  # SparseML throws it away: leave it as written
        if name in epoch:
            kind = "pos" if name in _POSITION_FIELDS else "dur"
            if name == "update_epochs" and len(path) != 2:
                return
        elif name == "lr_kwargs" and isinstance(spec, LearningRateModifier) and len(path) >= 2:
            key, cls = path[1], spec.lr_class
            if cls == "StepLR" and key == "step_size" and len(path) == 2:
                kind = "dur"
            elif cls == "MultiStepLR" and key == "milestones" and len(path) == 3:
                kind = "pos"
            elif cls == "CosineAnnealingWarmRestarts" and key == "cycle_epochs" \
                    and len(path) == 2:
                kind, integral, int_type = "dur", True, True
            elif cls == "ExponentialLR" and key == "gamma" and len(path) == 2:
                kind = "gamma"
            elif key in ("step_size", "milestones", "cycle_epochs"):
                return  # not read for this lr_class (ExponentialLR's step_size is forced)
            else:
                kind = "keep"
        else:
            kind = "keep"
        site = entry.fields.get(path) or entry.fields.get(path[:1])
        line = site.value_span.line if site else entry.line
        self.fields.append(_Field(entry, path, kind, expr, 0.0, integral=integral,
                                  int_type=int_type,
                                  label=f"`{_path_text(path)}` of `!{entry.type}` (line {line})",
                                  line=line))

    # -- evaluation --------------------------------------------------------------------
    def evaluate(self, e: _E, x: Mapping[Any, float], relaxed: bool,
                 memo: dict[Any, Any]) -> Any:
        op = e.op
        if op == "leaf":
            return x[e.key]
        if op == "num":
            return e.key
        if op == "var":
            if e.key in memo:
                return memo[e.key]
            d = self.defs.get(e.key)
            if d is None:
                raise _Unsupported(f"`{e.key[1]}` is not a number")
            memo[e.key] = None  # cycles are load errors; guard anyway
            value = self.evaluate(d, x, relaxed, memo)
            memo[e.key] = value
            return value
        if op in ("neg", "pos"):
            v = self.evaluate(e.args[0], x, relaxed, memo)
            return -v if op == "neg" else v
        if op == "call":
            args = [self.evaluate(a, x, relaxed, memo) for a in e.args]
            kwargs = {k: self.evaluate(a, x, relaxed, memo) for k, a in e.kwargs.items()}
            name = e.key
            if relaxed and name in ("round", "int"):
                return args[0] if args else kwargs.get("number", 0.0)
            fn = {"abs": abs, "float": float, "int": int, "min": min, "max": max,
                  "round": round}.get(name)
            if fn is None:
                raise _Unsupported(name)
            if name == "round" and len(args) > 1:
                args[1] = int(args[1])
            return fn(*args, **kwargs)
        a = self.evaluate(e.args[0], x, relaxed, memo)
        b = self.evaluate(e.args[1], x, relaxed, memo)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "//":
            return a / b if relaxed else a // b
        if op == "%":
            return a % b
        if op == "**":
            return a ** b
        raise _Unsupported(op)

    def values(self, x: Mapping[Any, float], relaxed: bool) -> list[float | None]:
        memo: dict[Any, Any] = {}
        out: list[float | None] = []
        for f in self.fields:
            try:
                v = self.evaluate(f.expr, x, relaxed, memo)
                out.append(float(v) if isinstance(v, (int, float)) else None)
            except (ZeroDivisionError, OverflowError, ValueError, TypeError, _Unsupported):
                out.append(None)
        return out

    def deps(self, e: _E, seen: set[Any] | None = None) -> set[Any]:
        out: set[Any] = set()
        stack = [e]
        visited: set[int] = set()
        while stack:
            n = stack.pop()
            if id(n) in visited:
                continue
            visited.add(id(n))
            if n.op == "leaf":
                out.add(n.key)
            elif n.op == "var":
                d = self.defs.get(n.key)
                if d is not None:
                    stack.append(d)
            stack.extend(n.args)
            stack.extend(n.kwargs.values())
        return out

    def direct_leaf(self, e: _E) -> Any:
        """The leaf a field is, through `eval(var)` chains; None for a real expression."""
        seen = 0
        while e.op == "var" and seen < 100:
            d = self.defs.get(e.key)
            if d is None:
                return None
            e = d
            seen += 1
        return e.key if e.op == "leaf" else None

    # -- targets and dimensions -------------------------------------------------------
    def targets(self) -> None:
        x0 = {k: leaf.value for k, leaf in self.leaves.items()}
        old = self.values(x0, relaxed=False)
        for f, v in zip(self.fields, old):
            if v is None:
                raise ScaleError(f"cannot evaluate {f.label}")
            f.old = v
            f.deps = frozenset(self.deps(f.expr))
            if f.kind == "pos":
                if v < 0:  # -1 sentinel (and never-starting values in (-1, 0))
                    f.kind, f.target, f.dim = "keep", v, 0
                else:
                    f.target, f.dim = self.phi(v), 1
            elif f.kind == "dur":
                if v <= 0:  # update_frequency -1/0: every step
                    f.kind, f.target, f.dim = "keep", v, 0
                else:
                    f.target, f.dim = v * self.stretch(f.entry), 1
            elif f.kind == "gamma":
                s = self.stretch(f.entry)
                f.target = v ** (1.0 / s) if v > 0 else v
                f.dim = None
            else:
                f.target, f.dim = v, 0

    def dimensions(self) -> dict[Any, int]:
        """Which leaves are epochs (1), plain numbers (0), or ratios of epochs."""
        eqs: list[tuple[dict[Any, int], int]] = []
        ids: dict[int, Any] = {}

        def dv(e: _E) -> Any:
            if e.op == "leaf":
                return ("L", e.key)
            if e.op == "var":
                return ("V", e.key)
            return ("E", id(e))

        visited: set[int] = set()

        def gen(e: _E) -> None:
            if id(e) in visited:
                return
            visited.add(id(e))
            me = dv(e)
            ids[id(e)] = me
            for a in [*e.args, *e.kwargs.values()]:
                gen(a)
            if e.op == "var":
                d = self.defs.get(e.key)
                if d is not None:
                    gen(d)
                    eqs.append(({me: 1, dv(d): -1}, 0) if dv(d) != me else ({}, 0))
            elif e.op in ("+", "-", "%"):
                for a in e.args:
                    eqs.append(({me: 1, dv(a): -1}, 0))
            elif e.op in ("neg", "pos"):
                eqs.append(({me: 1, dv(e.args[0]): -1}, 0))
            elif e.op == "*":
                a, b = dv(e.args[0]), dv(e.args[1])
                eqs.append(({me: 1, a: -1, b: -1} if a != b else {me: 1, a: -2}, 0))
            elif e.op in ("/", "//"):
                a, b = dv(e.args[0]), dv(e.args[1])
                eqs.append(({me: 1, a: -1, b: 1} if a != b else {me: 1}, 0))
            elif e.op == "**":
                for a in e.args:
                    eqs.append(({dv(a): 1}, 0))
                eqs.append(({me: 1}, 0))
            elif e.op == "call":
                if e.key in ("min", "max"):
                    for a in e.args:
                        eqs.append(({me: 1, dv(a): -1}, 0))
                elif e.args:
                    eqs.append(({me: 1, dv(e.args[0]): -1}, 0))
                    for a in e.args[1:]:
                        eqs.append(({dv(a): 1}, 0))
                for a in e.kwargs.values():
                    eqs.append(({dv(a): 1}, 0))

        for f in self.fields:
            gen(f.expr)
        # the field constraints come first: they anchor everything else
        field_eqs = [({dv(f.expr): 1}, f.dim) for f in self.fields
                     if f.dim is not None and f.old != 0]
        eqs = field_eqs + eqs
        known: dict[Any, int] = {}
        conflicts = 0
        pending = list(eqs)
        while pending:
            progress = True
            while progress:
                progress = False
                rest = []
                for coeffs, rhs in pending:
                    unknown = [k for k, c in coeffs.items() if c != 0 and k not in known]
                    if len(unknown) == 0:
                        total = sum(c * known[k] for k, c in coeffs.items())
                        if total != rhs:
                            conflicts += 1
                        continue
                    if len(unknown) == 1:
                        k = unknown[0]
                        total = rhs - sum(c * known[j] for j, c in coeffs.items() if j != k)
                        c = coeffs[k]
                        if total % c == 0:
                            known[k] = total // c
                            progress = True
                            continue
                    rest.append((coeffs, rhs))
                pending = rest
            if not pending:
                break
            # stuck: guess the least committal unknown, then propagate again
            unknown = [k for coeffs, _ in pending for k, c in coeffs.items()
                       if c != 0 and k not in known]
            if not unknown:
                break
            known[self.guess(unknown)[0]] = self.guess(unknown)[1]
        return {k[1]: v for k, v in known.items() if k[0] == "L"}

    def guess(self, unknown: list[Any]) -> tuple[Any, int]:
        for k in unknown:  # a literal inside an expression: a plain number
            if k[0] == "L" and k[1][0] == "expr":
                return k, 0
        for k in unknown:
            if k[0] == "L" and self.leaves[k[1]].var and _EPOCHISH.search(self.leaves[k[1]].var):
                return k, 1
        for k in unknown:
            if k[0] == "V" and _EPOCHISH.search(k[1][1]):
                return k, 1
        return unknown[0], 0

    # -- solving ------------------------------------------------------------------------
    def satisfied(self, f: _Field, v: float | None) -> bool:
        if v is None:
            return False
        return abs(v - f.target) <= _TOL * max(1.0, abs(f.target))

    def solve_and_edit(self) -> ScaleResult:
        dims = self.dimensions()
        x0 = {k: leaf.value for k, leaf in self.leaves.items()}
        prior = {k: v * (self.r ** dims.get(k, 0)) if dims.get(k, 0) else v
                 for k, v in x0.items()}
        # leaves used as-is by an epoch field and by a field that must not change
        conflict: dict[Any, list[_Field]] = {}
        direct: dict[Any, list[_Field]] = {}
        for f in self.fields:
            leaf = self.direct_leaf(f.expr)
            if leaf is not None:
                direct.setdefault(leaf, []).append(f)
        for leaf, fs in direct.items():
            moving = [f for f in fs if f.kind != "keep" and not self.satisfied(f, f.old)]
            fixed = [f for f in fs if f.kind == "keep" and f.old != 0]
            if moving and fixed:
                conflict[leaf] = fixed
                prior[leaf] = x0[leaf]
        # every leaf of a field that moves, or that shares an expression with an epoch
        involved: set[Any] = set()
        for f in self.fields:
            if f.kind != "keep" or any(dims.get(k, 0) for k in f.deps):
                involved |= f.deps
        free = [k for k in self.leaves if k in involved and k not in conflict]
        x = dict(prior)
        x = self.newton(x, free, dims)
        relaxed = self.values(x, relaxed=True)
        detach = [f for f, v in zip(self.fields, relaxed) if not self.satisfied(f, v)]
        if detach:  # leaves shared by fields that disagree: keep them, detach the fields
            culprits = {k for f in detach for k in f.deps if k in free}
            shared = {k for k in culprits if sum(k in f.deps for f in self.fields) > 1}
            if shared:
                free2 = [k for k in free if k not in shared]
                x = dict(prior)
                for k in shared:
                    x[k] = x0[k]
                x = self.newton(x, free2, dims)
                relaxed = self.values(x, relaxed=True)
                detach = [f for f, v in zip(self.fields, relaxed) if not self.satisfied(f, v)]
        self.reasons: dict[int, str] = {}
        self.whole(x, free, detach, dims)
        # --round and float noise
        for k in free:
            v = x[k]
            if self.round is not None and abs(v - x0[k]) > _TOL * max(1.0, abs(x0[k])):
                v = round(v, self.round)
            x[k] = clean_float(v)
        return self.finish(x0, x, detach, conflict)

    def whole(self, x: dict[Any, float], free: list[Any], detach: list[_Field],
              dims: Mapping[Any, int]) -> None:
        """ACDC epochs and CosineAnnealingWarmRestarts `cycle_epochs` must be whole.

        First the epoch leaves they are computed from are rounded (half up), unless a leaf
        is the new end of training (rounding it would change `max_epochs`); a field still
        not whole then gets a whole value of its own (rounded down if rounding up would
        pass the end of training).
        """
        def broken() -> list[tuple[_Field, float]]:
            out = []
            detached = {id(f) for f in detach}
            for f, v in zip(self.fields, self.values(x, relaxed=False)):
                if f.integral and f.kind != "keep" and v is not None and \
                        id(f) not in detached and not float(v).is_integer():
                    out.append((f, v))
            return out

        def whole_of(f: _Field, v: float) -> float:
            whole = float(math.floor(v + 0.5))
            if whole > self.epochs and any(
                    g is not f and g.kind == "pos" and not g.integral
                    and abs(g.target - self.epochs) <= _TOL * self.epochs for g in self.fields):
                # another modifier ends training at the new budget: stay inside it
                whole = float(math.floor(v))
            if f.kind == "dur" or f.int_type:
                whole = max(1.0, whole)
            return whole

        first = broken()
        for f, v in first:
            k = self.direct_leaf(f.expr)
            if k is None or k not in free:
                continue
            users = [g for g in self.fields if k in g.deps]
            value = x[k]
            if float(value).is_integer():
                continue  # rounded already, for another field
            if len(users) > 1 and abs(value - self.epochs) <= _TOL * self.epochs:
                continue  # the end of training: give the field a value of its own instead
            whole = whole_of(f, value)
            x[k] = whole
            what = self.leaves[k].what
            if len(users) == 1:
                self.notes.append(f"{f.label} is rounded to {whole:g} (exact {value:g}): "
                                  "SparseML needs a whole number of epochs here")
            else:
                self.notes.append(f"{what} is rounded to {whole:g} (exact {value:g}): "
                                  f"{f.label} needs a whole number of epochs")
        for f, v in broken():
            f.target = whole_of(f, v)
            detach.append(f)
            self.reasons[id(f)] = (f"rounded from {v:g}: SparseML needs a whole number of "
                                   "epochs here")
        for f, v in first:
            if f not in detach:
                f.target = float(self.values(x, relaxed=False)[self.fields.index(f)] or v)

    def newton(self, x: dict[Any, float], free: list[Any], dims: Mapping[Any, int]
               ) -> dict[Any, float]:
        """Minimal weighted change of the free leaves that puts every field on target."""
        eq = [i for i, f in enumerate(self.fields) if f.deps & set(free)]
        if not eq or not free:
            return x
        weights = []
        for k in free:
            leaf = self.leaves[k]
            w = max(abs(x[k]), 1e-3)
            if leaf.span is not None:
                w *= 0.3  # rather change a variable than a literal inside an expression
            if dims.get(k, 0) == 0:
                w *= 0.01  # rather change epochs than fractions
            weights.append(w)
        for _ in range(30):
            vals = self.values(x, relaxed=True)
            res = []
            for i in eq:
                v = vals[i]
                if v is None:
                    return x
                res.append(self.fields[i].target - v)
            scale = max([abs(self.fields[i].target) for i in eq] + [1.0])
            if max(abs(r) for r in res) <= 1e-13 * scale:
                break
            jac = []
            for j, k in enumerate(free):
                h = 1e-6 * max(1.0, abs(x[k]))
                xp = dict(x)
                xp[k] = x[k] + h
                vp = self.values(xp, relaxed=True)
                xm = dict(x)
                xm[k] = x[k] - h
                vm = self.values(xm, relaxed=True)
                col = []
                for i in eq:
                    a, b = vp[i], vm[i]
                    col.append(0.0 if a is None or b is None else (a - b) / (2 * h) * weights[j])
                jac.append(col)
            # A (m x n) = transpose of jac; solve (A A^T + lam) y = res, du = A^T y
            m, n = len(eq), len(free)
            aat = [[sum(jac[j][p] * jac[j][q] for j in range(n)) for q in range(m)]
                   for p in range(m)]
            lam = 1e-12 * max([aat[p][p] for p in range(m)] + [1e-300])
            for p in range(m):
                aat[p][p] += lam
            y = _solve(aat, res)
            if y is None:
                return x
            for j, k in enumerate(free):
                x[k] = x[k] + weights[j] * sum(jac[j][p] * y[p] for p in range(m))
        return x

    # -- output -------------------------------------------------------------------------
    def finish(self, x0: Mapping[Any, float], x: dict[Any, float], detach: list[_Field],
               conflict: Mapping[Any, list[_Field]]) -> ScaleResult:
        source = self.source
        edits: list[TextEdit] = []
        changes: list[Change] = []
        overrides: dict[str, float] = {}
        expr_edits: dict[int, list[tuple[int, int, str]]] = {}
        expr_nodes: dict[int, YScalar] = {}
        expr_owner: dict[int, str] = {}
        changed = {k for k in self.leaves
                   if abs(x[k] - x0[k]) > 1e-12 * max(1.0, abs(x0[k]))}
        detach_leaves: set[Any] = set()
        for f in detach:
            leaf = self.direct_leaf(f.expr)
            if leaf is not None:
                detach_leaves.add(leaf)
        for k in sorted(changed, key=lambda k: (self.leaves[k].line, str(k))):
            leaf = self.leaves[k]
            new = x[k]
            if not leaf.editable or leaf.node is None:
                if leaf.var:
                    overrides[leaf.var] = new
                continue
            if new < 0 and leaf.span is not None:
                raise ScaleError(f"scaling would make {leaf.what} negative ({new:g})")
            if leaf.span is None:
                a, b = scalar_value_offsets(source, leaf.node)
                if leaf.string:
                    content = yaml_number(new, integer=leaf.integer)
                    text = scalar_text(content, leaf.node.style) if leaf.node.style else content
                else:
                    text = yaml_number(new, integer=leaf.integer)
                old_text = source.text[a:b]
                edits.append(TextEdit(a, b, text))
                changes.append(Change(leaf.line, leaf.what, old_text, text))
            else:
                text = python_number(new, integer=leaf.integer)
                expr_edits.setdefault(id(leaf.node), []).append((leaf.span[0], leaf.span[1],
                                                                 text))
                expr_nodes[id(leaf.node)] = leaf.node
                expr_owner[id(leaf.node)] = leaf.owner
        detached_nodes = {id(f.site.node) for f in detach
                          if f.site is not None and f.site.alias is None}
        for nid, parts in expr_edits.items():
            if nid in detached_nodes:
                continue  # the field is rewritten whole below
            node = expr_nodes[nid]
            value: str = node.value
            new_value = value
            for a, b, t in sorted(parts, reverse=True):
                new_value = new_value[:a] + t + new_value[b:]
            a, b = scalar_value_offsets(source, node)
            text = scalar_text(new_value, node.style)
            edits.append(TextEdit(a, b, text))
            changes.append(Change(source.position(a)[0], expr_owner[nid] or f"`{value}`",
                                  source.text[a:b], text))
        for f in detach:
            site = f.site
            target = f.target
            if self.round is not None:
                target = round(target, self.round)
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
            old_text = source.text[a:b]
            edits.append(TextEdit(a, b, text))
            changes.append(Change(f.line, f"`{_path_text(f.path)}` of `!{f.entry.type}`",
                                  old_text, text))
            users = sorted({self.leaves[k].what for k in f.deps if k in conflict
                            or k in detach_leaves})
            why = self.reasons.get(id(f)) or (
                f"it used {users[0]}, which other fields need unchanged"
                if users else "its expression cannot follow the new schedule")
            self.notes.append(f"{f.label} is now written as {text} ({why})")
        for leaf_key, fixed in conflict.items():
            leaf = self.leaves[leaf_key]
            others = ", ".join(f.label for f in fixed[:3])
            self.notes.append(f"{leaf.what} is used as an epoch and by {others}; it keeps its "
                              "value")
        for entry, name, default in self.inserts:
            value = clean_float(default * self.stretch(entry))
            if self.round is not None:
                value = round(value, self.round)
            if value == default:
                continue
            edit = _insertion(source, entry, name, yaml_number(value, integer=False))
            if edit is None:
                self.notes.append(f"`{name}` of `!{entry.type}` (line {entry.line}) is left at "
                                  f"its default {default:g}: add `{name}: {value:g}` by hand")
                continue
            edits.append(edit)
            changes.append(Change(entry.line, f"`{name}` of `!{entry.type}` (default "
                                              f"{default:g}, now written)", "",
                                  edit.new.strip(" ,\n")))
        try:
            new_text = apply_text_edits(source.text, edits) if edits else source.text
            self.edits = edits  # applied to the original text too (its own line endings)
        except ValueError as e:
            raise ScaleError(f"conflicting edits while scaling: {e}") from None
        self.report_deviations(x, detach)
        self.unused_variables()
        return self.result(new_text, changes, overrides, bool(edits))

    def report_deviations(self, x: Mapping[Any, float], detach: list[_Field]) -> None:
        real = self.values(x, relaxed=False)
        relaxed = self.values(x, relaxed=True)
        detached = {id(f) for f in detach}
        rounded = 0
        for f, v, rv in zip(self.fields, real, relaxed):
            if id(f) in detached or self.satisfied(f, v):
                continue
            if v is None:
                continue
            if self.round is not None and abs(v - f.target) <= 10 ** -self.round * 100 * max(
                    1.0, abs(f.target)):
                rounded += 1
                continue
            if rv is not None and self.satisfied(f, rv):
                self.notes.append(f"{f.label} is {v:g} instead of {f.target:g}: the recipe's "
                                  "own expression rounds it")
            elif f.integral and float(v).is_integer():
                continue  # rounded on purpose (see `whole`)
            else:
                self.notes.append(f"{f.label} is {v:g} instead of {f.target:g}")
        if rounded:
            self.notes.append(f"{rounded} field(s) differ from the exact scaled value by "
                              f"--round {self.round}")

    def unused_variables(self) -> None:
        used = set().union(*[f.deps for f in self.fields]) if self.fields else set()
        for (scope, name), d in self.defs.items():
            if d is None or d.op != "leaf" or d.key in used:
                continue
            leaf = self.leaves.get(d.key)
            if leaf is not None and _EPOCHISH.search(name) and leaf.value > 0:
                self.notes.append(f"variable `{name}` ({leaf.value:g}) is not used by any "
                                  "modifier and was left as is")

    def result(self, new_text: str, changes: list[Change], overrides: dict[str, float],
               changed: bool) -> ScaleResult:
        from recipe_studio.schedule.timeline import timeline

        source = self.source
        if changed:
            out = edit_original(source, self.edits, self.original)
            check = _reload(new_text, source, self.recipe, overrides)
            before = {d.code for d in self.recipe.errors}
            new_errors = [d for d in check.errors if d.code not in before]
            if new_errors:
                raise ScaleError("scaling produced an invalid recipe (please report this): "
                                 + new_errors[0].message, new_errors)
            new_max = timeline(check).max_epochs
        else:
            out = self.original
            new_max = self.old_max
        changes.sort(key=lambda c: c.line)
        return ScaleResult(
            text=out, old_epochs=self.B, new_epochs=self.epochs if changed else self.B,
            old_max_epochs=self.old_max, new_max_epochs=new_max,
            ratio=self.r1 if self.qat else self.r, changes=changes,
            notes=_dedupe(self.notes), overrides=overrides, qat_start=self.qat)


def _reload(text: str, source: Any, recipe: Recipe, overrides: Mapping[str, float]) -> Recipe:
    from recipe_studio.read.load import load
    from recipe_studio.read.source import from_text

    merged = {**recipe.overrides, **overrides}
    src = from_text(text, path=source.path, form=source.form)
    return load(src, overrides=merged)


def _insertion(source: Any, entry: ModifierEntry, name: str, value: str) -> TextEdit | None:
    """A new `name: value` line (or flow entry) at the end of a modifier's mapping."""
    node = entry.node
    if not isinstance(node, YMap) or not node.pairs:
        return None
    text = source.text
    if node.flow:
        close = source.start + node.end - 1
        if text[close] != "}":
            return None
        return TextEdit(close, close, f", {name}: {value}")
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
    return TextEdit(pos, pos, "\n" + " " * (column - 1) + f"{name}: {value}")


def _written_int(site: FieldSite) -> bool:
    node = site.node
    return isinstance(node, YScalar) and isinstance(node.value, int) and \
        not isinstance(node.value, bool)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _solve(a: list[list[float]], b: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting (a is small and well conditioned)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[piv][col]) < 1e-300:
            return None
        m[col], m[piv] = m[piv], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    y = [0.0] * n
    for r in range(n - 1, -1, -1):
        y[r] = (m[r][n] - sum(m[r][c] * y[c] for c in range(r + 1, n))) / m[r][r]
    return y
