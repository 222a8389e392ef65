"""The expression model of a recipe: leaves, the expressions built from them, the fields.

Every number that reaches a modifier field is a *leaf* (:class:`Leaf`): a literal field
value, an anchored value (one leaf however many aliases use it), a numeric variable, or a
number literal inside an `eval(...)` expression. Each numeric field (:class:`Field`) is an
expression (:class:`Expr`) over leaves and variables; :class:`Model` holds them and
evaluates them for any leaf values (with SparseML's semantics, or *relaxed*: `round()`,
`int()` and `//` as plain arithmetic, which is smooth for the solver).

:func:`build_model` builds the model from a loaded recipe; the model itself needs no YAML
(a leaf's `node` is only read by the edit writer), so the solver can be tested on models
written by hand.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.models.learning_rate import LearningRateModifier
from recipe_studio.models.pruning_fixed import ACDCPruningModifier
from recipe_studio.read.evaluator import eval_body
from recipe_studio.read.recipe import FieldSite, ModifierEntry, Recipe, path_text
from recipe_studio.read.yamltree import YMap, YNode, YScalar, YSeq
from recipe_studio.transform.scale.result import ScaleError

#: names that suggest an epoch (to guess a leaf's role, and for unused variables)
EPOCHISH = re.compile(r"epoch|warmup|cooldown|start|end|freq|cycle|milestone|step_size|"
                      r"duration|length|period|(^|_)eps?($|_)", re.I)
POSITION_FIELDS = ("start_epoch", "end_epoch", "freeze_bn_stats_epoch",
                   "disable_quantization_observer_epoch", "update_epochs")


@dataclass(eq=False)
class Leaf:
    """One number of the recipe the scaler may change."""

    key: Any
    value: float
    integer: bool
    #: the scalar it is written in (None: a `--var` override, or a model made by hand)
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
class Expr:
    """A compiled expression node."""

    op: str  # leaf, var, num, + - * / // % **, neg, pos, call
    args: list[Expr] = field(default_factory=list)
    key: Any = None
    kwargs: dict[str, Expr] = field(default_factory=dict)


@dataclass(eq=False)
class Field:
    """A numeric modifier field: its expression, its role and (after `targets`) its
    old and target values."""

    #: the modifier (None in a model made by hand; only the edit writer reads it)
    entry: ModifierEntry | None
    path: tuple[Any, ...]
    kind: str  # pos, dur, gamma, keep
    expr: Expr
    old: float
    target: float = 0.0
    integral: bool = False
    int_type: bool = False
    deps: frozenset[Any] = frozenset()
    label: str = ""
    line: int = 0
    #: dimension the field must have (1 epochs, 0 unchanged, None: no constraint)
    dim: int | None = None
    #: the effective (start, end) epochs of its modifier (what a duration is stretched by)
    window: tuple[float, float] = (0.0, -1.0)

    @property
    def site(self) -> FieldSite | None:
        return self.entry.fields.get(self.path) if self.entry is not None else None


class Unsupported(Exception):
    """An expression the model cannot evaluate (the field's value is then unknown)."""


@dataclass(eq=False)
class Model:
    leaves: dict[Any, Leaf] = field(default_factory=dict)
    #: (scope, name) -> definition (None: not a number)
    defs: dict[tuple[str | None, str], Expr | None] = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)
    #: epoch durations left at their default, to be written out: (entry, name, default)
    inserts: list[tuple[ModifierEntry, str, float]] = field(default_factory=list)

    def initial(self) -> dict[Any, float]:
        """The leaf values as written."""
        return {k: leaf.value for k, leaf in self.leaves.items()}

    def evaluate(self, e: Expr, x: Mapping[Any, float], relaxed: bool,
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
                raise Unsupported(f"`{e.key[1]}` is not a number")
            memo[e.key] = None  # cycles are load errors; guard anyway
            value = self.evaluate(d, x, relaxed, memo)
            memo[e.key] = value
            return value
        if op in ("neg", "pos"):
            v = self.evaluate(e.args[0], x, relaxed, memo)
            return -v if op == "neg" else v
        if op == "call":
            return self._call(e, x, relaxed, memo)
        a = self.evaluate(e.args[0], x, relaxed, memo)
        b = self.evaluate(e.args[1], x, relaxed, memo)
        if op == "//":
            return a / b if relaxed else a // b
        fn = _ARITHMETIC.get(op)
        if fn is None:
            raise Unsupported(op)
        return fn(a, b)

    def _call(self, e: Expr, x: Mapping[Any, float], relaxed: bool,
              memo: dict[Any, Any]) -> Any:
        args = [self.evaluate(a, x, relaxed, memo) for a in e.args]
        kwargs = {k: self.evaluate(a, x, relaxed, memo) for k, a in e.kwargs.items()}
        name = e.key
        if relaxed and name in ("round", "int"):
            return args[0] if args else kwargs.get("number", 0.0)
        fn = {"abs": abs, "float": float, "int": int, "min": min, "max": max,
              "round": round}.get(name)
        if fn is None:
            raise Unsupported(name)
        if name == "round" and len(args) > 1:
            args[1] = int(args[1])
        return fn(*args, **kwargs)

    def values(self, x: Mapping[Any, float], relaxed: bool) -> list[float | None]:
        """Every field's value for the leaf values `x` (None where it cannot be computed)."""
        memo: dict[Any, Any] = {}
        out: list[float | None] = []
        for f in self.fields:
            try:
                v = self.evaluate(f.expr, x, relaxed, memo)
                out.append(float(v) if isinstance(v, (int, float)) else None)
            except (ZeroDivisionError, OverflowError, ValueError, TypeError, Unsupported):
                out.append(None)
        return out

    def deps(self, e: Expr) -> set[Any]:
        """The leaves an expression reads, through variables."""
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

    def direct_leaf(self, e: Expr) -> Any:
        """The leaf a field is, through `eval(var)` chains; None for a real expression."""
        seen = 0
        while e.op == "var" and seen < 100:
            d = self.defs.get(e.key)
            if d is None:
                return None
            e = d
            seen += 1
        return e.key if e.op == "leaf" else None


_ARITHMETIC = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b,
}


def number(value: Any) -> tuple[float, bool, bool] | None:
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


# ---- building the model from a loaded recipe ---------------------------------------------

def build_model(recipe: Recipe, root: YMap) -> Model:
    """The model of a loaded recipe whose document is the mapping `root`. Raises
    :class:`ScaleError` for an expression it cannot read."""
    builder = _Builder(recipe)
    builder.variables(root)
    for entry in recipe.modifiers:
        if entry.spec is not None:
            builder.modifier_fields(entry)
    return builder.model


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Mod: "%", ast.Pow: "**"}


class _Builder:
    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self.model = Model()
        self.leaves = self.model.leaves
        self.defs = self.model.defs
        self.def_nodes: dict[tuple[str | None, str], YNode | None] = {}
        self.compiled: dict[tuple[int, str | None], Expr] = {}

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
            n = number(v.value) if v.numeric else None
            if n is not None:
                leaf = Leaf(("override", scope, name), n[0], n[1], None, None, what, line,
                            var=name, editable=False)
                self.leaves[leaf.key] = leaf
                self.defs[key] = Expr("leaf", key=leaf.key)
            else:
                self.defs[key] = None
            return
        if v.expression is not None and v.numeric and isinstance(node, YScalar):
            # (a stage's `eval(global)` resolves to the global through `lookup`)
            self.defs[key] = self.expression(node, v.expression, scope, what, line, var=name)
            return
        if v.numeric and isinstance(node, YScalar):
            n = number(node.value)
            if n is not None:
                self.defs[key] = Expr("leaf", key=self.scalar_leaf(node, what, line, var=name))
                return
            self.defs[key] = Expr("num", key=v.value)  # a boolean
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
            n = number(node.value)
            assert n is not None
            self.leaves[key] = Leaf(key, n[0], n[1], node, None, what, line, var=var,
                                    string=n[2])
        elif var is not None and self.leaves[key].var is None:
            self.leaves[key].var = var
            self.leaves[key].what = what
        return key

    def expression(self, node: YScalar, body: str, scope: str | None, what: str, line: int,
                   var: str | None = None) -> Expr:
        cache = (id(node), scope)
        if cache in self.compiled:
            return self.compiled[cache]
        stripped = body.strip()
        try:
            tree = ast.parse(stripped)
        except SyntaxError:
            raise ScaleError(f"cannot read the expression `eval({body})`") from None
        e = _Compiler(self, node, body, scope, what, line).convert(tree.body[0])
        # `eval(global)` inside a stage: a reference to the global
        self.compiled[cache] = e
        return e

    def node_source(self, node: YNode, what: str, line: int, scope: str | None,
                    path: tuple[Any, ...], entry: ModifierEntry) -> None:
        """Fields whose value was substituted from a non-numeric variable (a list...)."""
        if isinstance(node, YScalar):
            n = number(node.value)
            if n is not None:
                key = self.scalar_leaf(node, what + f" ({path_text(path)})", line)
                self.add_field(entry, path, Expr("leaf", key=key))
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
            if (name,) in entry.fields or info.is_required() or number(default) is None \
                    or default <= 0 or name in POSITION_FIELDS:
                continue
            if name == "cycle_epochs" and getattr(spec, "lr_func", None) != "cyclic_linear":
                continue
            self.model.inserts.append((entry, name, float(default)))

    def walk(self, entry: ModifierEntry, path: tuple[Any, ...], value: Any) -> None:
        site = entry.fields.get(path)
        if site is None:
            return
        scope = entry.stage
        line = site.value_span.line
        label = f"`{path_text(path)}` of `!{entry.type}`"
        if site.expression is not None and isinstance(site.node, YScalar):
            body = site.expression
            ref = self.lookup(scope, body.strip()) if body.strip().isidentifier() else None
            if ref is not None and self.defs.get(ref) is None:
                node = self.def_nodes.get(ref)
                name = ref[1]
                if node is not None:
                    self.node_source(node, f"variable `{name}`", line, scope, path, entry)
                return
            if number(value) is None:
                return
            self.add_field(entry, path, self.expression(site.node, body, scope, label, line))
            return
        node = site.node
        if isinstance(node, YScalar):
            if number(value) is not None and number(node.value) is not None:
                key = self.scalar_leaf(node, label, line)
                self.add_field(entry, path, Expr("leaf", key=key))
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.walk(entry, (*path, i), item)
        elif isinstance(value, dict):
            for k, item in value.items():
                self.walk(entry, (*path, k), item)

    def add_field(self, entry: ModifierEntry, path: tuple[Any, ...], expr: Expr) -> None:
        spec = entry.spec
        assert spec is not None
        model = type(spec)
        name = path[0]
        ignored = model.ignored_fields()
        epoch = set(model.epoch_fields()) - set(ignored)
        if name in ignored or name not in model.model_fields:
            return  # SparseML throws it away: leave it as written
        integral = isinstance(spec, ACDCPruningModifier) and name in epoch
        role = _role(spec, path, epoch)
        if role is None:
            return
        kind, whole, int_type = role
        site = entry.fields.get(path) or entry.fields.get(path[:1])
        line = site.value_span.line if site else entry.line
        self.model.fields.append(Field(
            entry, path, kind, expr, 0.0, integral=integral or whole, int_type=int_type,
            label=f"`{path_text(path)}` of `!{entry.type}` (line {line})", line=line,
            window=(spec.effective_start_epoch, spec.effective_end_epoch)))


def _role(spec: Any, path: tuple[Any, ...], epoch: set[str]
          ) -> tuple[str, bool, bool] | None:
    """(kind, must be whole, is an int) of a modifier field; None for one to leave alone."""
    name = path[0]
    if name in epoch:
        if name == "update_epochs" and len(path) != 2:
            return None
        return ("pos" if name in POSITION_FIELDS else "dur"), False, False
    if name == "lr_kwargs" and isinstance(spec, LearningRateModifier) and len(path) >= 2:
        key, cls = path[1], spec.lr_class
        if cls == "StepLR" and key == "step_size" and len(path) == 2:
            return "dur", False, False
        if cls == "MultiStepLR" and key == "milestones" and len(path) == 3:
            return "pos", False, False
        if cls == "CosineAnnealingWarmRestarts" and key == "cycle_epochs" and len(path) == 2:
            return "dur", True, True
        if cls == "ExponentialLR" and key == "gamma" and len(path) == 2:
            return "gamma", False, False
        if key in ("step_size", "milestones", "cycle_epochs"):
            return None  # not read for this lr_class (ExponentialLR's step_size is forced)
    return "keep", False, False


class _Compiler:
    """One `eval(...)` body → an :class:`Expr`; each number literal becomes a leaf."""

    def __init__(self, builder: _Builder, node: YScalar, body: str, scope: str | None,
                 what: str, line: int):
        self.builder = builder
        self.node = node
        self.body = body
        self.scope = scope
        self.what = what
        self.line = line
        stripped = body.strip()
        self.lead = len(body) - len(body.lstrip())
        self.lines = stripped.split("\n")
        self.starts = [0]
        for ln in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(ln) + 1)
        self.counter = 0
        self.owner = f"`eval({stripped})` of {what}"

    def offset(self, lineno: int, col: int) -> int:
        """Character offset in the body of an ast (line, UTF-8 byte column)."""
        text = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(text.encode("utf-8")[:col].decode("utf-8",
                                                                                "ignore"))

    def convert(self, n: ast.AST) -> Expr:
        if isinstance(n, ast.Expr):
            return self.convert(n.value)
        if isinstance(n, ast.Constant) and not isinstance(n.value, bool) \
                and isinstance(n.value, (int, float)):
            return self.literal(n)
        if isinstance(n, ast.Name):
            ref = self.builder.lookup(self.scope, n.id)
            if ref is None:
                raise ScaleError(f"`eval({self.body})` uses `{n.id}`, which is not a variable")
            return Expr("var", key=ref)
        if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            return Expr(_BINOPS[type(n.op)], [self.convert(n.left), self.convert(n.right)])
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            return Expr("neg" if isinstance(n.op, ast.USub) else "pos",
                        [self.convert(n.operand)])
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            return Expr("call", [self.convert(a) for a in n.args], key=n.func.id,
                        kwargs={k.arg: self.convert(k.value) for k in n.keywords if k.arg})
        raise ScaleError(f"cannot scale through `eval({self.body})`: unsupported expression")

    def literal(self, n: ast.Constant) -> Expr:
        self.counter += 1
        key = ("expr", id(self.node), self.counter)
        a = 5 + self.lead + self.offset(n.lineno, n.col_offset)
        b = 5 + self.lead + self.offset(n.end_lineno or n.lineno, n.end_col_offset or 0)
        leaves = self.builder.leaves
        if key not in leaves:
            leaves[key] = Leaf(key, float(n.value), isinstance(n.value, int), self.node, (a, b),
                               f"`{ast.unparse(n)}` in {self.owner}", self.line, owner=self.what)
        return Expr("leaf", key=key)
