"""Recipes written in Python: modifier constructions found by static analysis (issue 13).

Most llm-compressor users build the recipe in their script::

    recipe = [SmoothQuantModifier(smoothing_strength=0.8),
              GPTQModifier(targets="Linear", scheme="W8A8", ignore=["lm_head"])]
    oneshot(model=model, recipe=recipe, ...)

This module reads such a script with :mod:`ast` (nothing is imported or run): a call whose
callee is a class imported from `llmcompressor.modifiers.*` or `sparseml.modifiers.*` (import
aliases, `import ... as m` and attribute chains resolved) is a modifier; a list or tuple of them
(also through names bound to one) is a recipe, and a modifier in no list is a recipe of its
own. Keyword arguments are evaluated when they are literals: constants, lists, tuples, dicts,
`dict(k=...)`, arithmetic on numbers, and names bound once to such a value at module level or in
the same function. Anything else (a function's result, `**kwargs`, an f-string with names) is
skipped with an RS017 note at its position, never guessed; a modifier with skipped arguments
is validated with the arguments that are known (no "missing field" for one that may be among
the skipped), and the rules do not see it (its `spec` stays None).

Each recipe becomes the stage recipe llm-compressor builds from a list of modifiers (one
`default` stage, one `default` group: `Recipe.from_modifiers`), read by the stage reader
(:mod:`recipe_studio.read.stage.load`) through a positioned tree whose offsets are those of
the Python source, so every diagnostic lands on the keyword, value or call it is about.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from recipe_studio.diagnostics import Diagnostic, Span, sort_diagnostics
from recipe_studio.read import codes
from recipe_studio.read.recipe import Recipe
from recipe_studio.read.source import Source
from recipe_studio.read.yamltree import YMap, YNode, YPair, YRef, YScalar, YSeq, YamlDoc

#: the modules whose classes are modifiers, and the library each one means
LIBRARIES = {"llmcompressor": "llmcompressor", "sparseml": "sparseml"}
#: a script that builds a recipe imports from a modifiers package (discovery's one pattern,
#: as :data:`recipe_studio.read.detect.RECIPE_MARK` is for YAML)
_PY_MARK = (r"^[ \t]*(?:from[ \t]+(?:llmcompressor|sparseml)\.modifiers\b"
            r"|import[ \t]+(?:llmcompressor|sparseml)\.modifiers\b"
            r"|from[ \t]+(?:llmcompressor|sparseml)[ \t]+import[ \t][^\n]*\bmodifiers\b)")
PY_RECIPE_MARK = re.compile(_PY_MARK, re.M)
PY_RECIPE_MARK_BYTES = re.compile(_PY_MARK.encode(), re.M)
#: how deep a literal may nest, and how many names one value may go through
MAX_DEPTH = 50
MAX_NAME_HOPS = 20


def is_python_path(path: str | None) -> bool:
    return bool(path) and str(path).lower().endswith((".py", ".pyi"))


def looks_like_recipe_script(text: str) -> bool:
    return bool(PY_RECIPE_MARK.search(text))


def head_looks_like_recipe_script(head: bytes) -> bool:
    return bool(PY_RECIPE_MARK_BYTES.search(head))


class NotStatic(Exception):
    """A value recipe-studio does not evaluate without running the script."""

    def __init__(self, node: ast.AST, reason: str):
        super().__init__(reason)
        self.node = node
        self.reason = reason


# -- scopes and bindings --------------------------------------------------------------------
class _Scope:
    """The names a module or function binds: name -> the bindings (an Assign's value, or None
    for any other kind of binding: a parameter, a loop target, an import, `+=`...)."""

    def __init__(self, node: ast.AST, parent: _Scope | None):
        self.node = node
        self.parent = parent
        self.bindings: dict[str, list[ast.expr | None]] = {}

    def bind(self, name: str, value: ast.expr | None) -> None:
        self.bindings.setdefault(name, []).append(value)


class _Binder(ast.NodeVisitor):
    """Fills one scope (not descending into nested functions and classes, which are
    scopes of their own)."""

    def __init__(self, scope: _Scope):
        self.scope = scope

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.scope.bind(node.name, None)  # type: ignore[attr-defined]

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef
    visit_Lambda = visit_GeneratorExp = visit_ListComp = visit_SetComp = visit_DictComp = \
        lambda self, node: None  # noqa: E731 - their names are their own

    def visit_Assign(self, node: ast.Assign) -> None:
        single = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        for target in node.targets:
            self._targets(target, node.value if single else None)
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.scope.bind(node.target.id, node.value)
        if node.value is not None:
            self.visit(node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.scope.bind(node.target.id, node.value)
        self.visit(node.value)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.scope.bind(node.id, None)

    def visit_Import(self, node: ast.AST) -> None:
        for alias in node.names:  # type: ignore[attr-defined]
            self.scope.bind((alias.asname or alias.name).split(".")[0], None)

    visit_ImportFrom = visit_Import

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self.scope.bind(name, None)

    visit_Nonlocal = visit_Global

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.scope.bind(node.name, None)
        self.generic_visit(node)

    def _targets(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.scope.bind(target.id, value)
        else:
            self.visit(target)


_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _scopes(tree: ast.Module) -> tuple[_Scope, dict[int, _Scope]]:
    """The module's scope, and the scope every node is in (id -> scope)."""
    module = _Scope(tree, None)
    of: dict[int, _Scope] = {}

    def fill(scope: _Scope, owner: ast.AST) -> None:
        if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = owner.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None:
                    scope.bind(arg.arg, None)
        body = owner.body if isinstance(owner.body, list) else [owner.body]  # type: ignore
        binder = _Binder(scope)
        for stmt in body:
            binder.visit(stmt)
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            of[id(node)] = scope
            if isinstance(node, _SCOPE_NODES):
                fill(_Scope(node, scope), node)
                continue
            stack.extend(ast.iter_child_nodes(node))

    fill(module, tree)
    return module, of


# -- the script -----------------------------------------------------------------------------
@dataclass
class PyModifier:
    """One modifier construction `Name(...)` in the script."""

    call: ast.Call
    name: str
    library: str


@dataclass
class PyRecipe:
    """A list/tuple of modifiers, or one modifier on its own."""

    node: ast.AST
    modifiers: list[PyModifier] = field(default_factory=list)


class Script:
    """What the static analysis found in one script."""

    def __init__(self, source: Source, tree: ast.Module):
        self.src = source
        self.tree = tree
        text = source.text
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)
        self._lines = text.split("\n")
        #: local name -> (class name, library) for `from x.modifiers... import Name as local`
        self.classes: dict[str, tuple[str, str]] = {}
        #: local name -> dotted module it stands for (`import llmcompressor.modifiers as m`)
        self.modules: dict[str, str] = {}
        #: libraries whose modifiers are star-imported
        self.star: list[str] = []
        self.libraries: list[str] = []
        #: local name -> compressed-tensors class (`QuantizationScheme`, `QuantizationType`...)
        self.value_classes: dict[str, str] = {}
        self._imports()
        self.module_scope, self.scope_of = _scopes(tree)
        self.parents: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node

    # -- positions ---------------------------------------------------------------------
    def offset(self, lineno: int, col: int) -> int:
        """Character offset of ast's (1-based line, UTF-8 byte column)."""
        line = self._lines[lineno - 1] if lineno - 1 < len(self._lines) else ""
        chars = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return self._line_starts[min(lineno - 1, len(self._line_starts) - 1)] + chars

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def span(self, node: ast.AST) -> Span:
        return self.src.span(self.start(node), self.end(node))

    # -- imports -------------------------------------------------------------------------
    def _imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                root = node.module.split(".")[0]
                if root == "compressed_tensors":
                    for alias in node.names:
                        if alias.name in _VALUE_CLASSES + _ENUMS:
                            self.value_classes[alias.asname or alias.name] = alias.name
                if root not in LIBRARIES:
                    continue
                lib = LIBRARIES[root]
                if node.module == root:  # `from llmcompressor import modifiers`
                    for alias in node.names:
                        if alias.name == "modifiers":
                            self.modules[alias.asname or alias.name] = f"{root}.modifiers"
                            self._library(lib)
                    continue
                if not _is_modifiers_module(node.module):
                    continue
                self._library(lib)
                for alias in node.names:
                    if alias.name == "*":
                        self.star.append(lib)
                    elif _is_modifier_class(alias.name):
                        self.classes[alias.asname or alias.name] = (alias.name, lib)
                    else:  # a submodule (`from llmcompressor.modifiers import quantization`)
                        self.modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    root = alias.name.split(".")[0]
                    if root not in LIBRARIES:
                        continue
                    if alias.asname:
                        self.modules[alias.asname] = alias.name
                    else:
                        self.modules[root] = root
                    if _is_modifiers_module(alias.name):
                        self._library(LIBRARIES[root])

    def _library(self, lib: str) -> None:
        if lib not in self.libraries:
            self.libraries.append(lib)

    def modifier_of(self, call: ast.Call) -> PyModifier | None:
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in self.classes and self._not_rebound(func):
                name, lib = self.classes[func.id]
                return PyModifier(call, name, lib)
            if self.star and _is_modifier_class(func.id) and self._not_rebound(func):
                return PyModifier(call, func.id, self.star[0])
            return None
        dotted = _dotted(func)
        if dotted is None or "." not in dotted:
            return None
        head, _, rest = dotted.partition(".")
        if head not in self.modules:
            return None
        full = f"{self.modules[head]}.{rest}"
        module, _, name = full.rpartition(".")
        if _is_modifiers_module(module) and _is_modifier_class(name):
            return PyModifier(call, name, LIBRARIES[full.split(".")[0]])
        return None

    def _not_rebound(self, name: ast.Name) -> bool:
        """The imported class, not a local variable of the same name."""
        scope = self.scope_of.get(id(name), self.module_scope)
        while scope is not None and scope is not self.module_scope:
            if name.id in scope.bindings:
                return False
            scope = scope.parent
        return True

    # -- names -------------------------------------------------------------------------------
    def binding(self, name: ast.Name) -> ast.expr:
        """The one literal-ish value `name` is bound to (its function's, else the module's)."""
        scope = self.scope_of.get(id(name), self.module_scope)
        while scope is not None:
            bound = scope.bindings.get(name.id)
            if bound:
                if len(bound) > 1:
                    raise NotStatic(name, f"`{name.id}`, assigned more than once")
                if bound[0] is None:
                    raise NotStatic(name, f"`{name.id}`, not bound to a value written in the "
                                          "script (a parameter, loop variable or import)")
                return bound[0]
            # the enclosing functions' names, then the module's (a class body does not
            # enclose its methods)
            scope = scope.parent
            while scope is not None and isinstance(scope.node, ast.ClassDef):
                scope = scope.parent
        raise NotStatic(name, f"`{name.id}`, not defined in the script")

    # -- recipes -------------------------------------------------------------------------
    def recipes(self) -> list[PyRecipe]:
        """Every recipe: lists/tuples holding modifiers (directly or through a name bound
        once to a modifier), then each modifier in none of them."""
        calls: dict[int, PyModifier] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                mod = self.modifier_of(node)
                if mod is not None:
                    calls[id(node)] = mod
        out: list[PyRecipe] = []
        used: set[int] = set()
        for node in ast.walk(self.tree):
            if not isinstance(node, (ast.List, ast.Tuple)) or isinstance(node.ctx, ast.Store):
                continue
            members = []
            for elt in node.elts:
                call = self._modifier_call(elt, calls)
                if call is not None:
                    members.append(call)
            if not members:
                continue
            # a list inside a list of modifiers (llm-compressor flattens them): the outer one
            outer = self.parents.get(id(node))
            if isinstance(outer, (ast.List, ast.Tuple)) and any(
                    self._modifier_call(e, calls) is not None for e in outer.elts):
                continue
            recipe = PyRecipe(node)
            for call in self._flatten(node, calls):
                recipe.modifiers.append(calls[id(call)])
                used.add(id(call))
            out.append(recipe)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and id(node) in calls and id(node) not in used:
                if self._bound_name_used_in_list(node, calls):
                    continue
                out.append(PyRecipe(node, [calls[id(node)]]))
        out.sort(key=lambda r: (r.node.lineno, r.node.col_offset))  # type: ignore[attr-defined]
        return out

    def _modifier_call(self, elt: ast.AST, calls: dict[int, PyModifier]) -> ast.Call | None:
        if isinstance(elt, ast.Call) and id(elt) in calls:
            return elt
        if isinstance(elt, ast.Name) and isinstance(elt.ctx, ast.Load):
            try:
                value = self.binding(elt)
            except NotStatic:
                return None
            if isinstance(value, ast.Call) and id(value) in calls:
                return value
        if isinstance(elt, (ast.List, ast.Tuple)):
            for e in elt.elts:
                if self._modifier_call(e, calls) is not None:
                    return self._modifier_call(e, calls)
        return None

    def _flatten(self, node: ast.AST, calls: dict[int, PyModifier]) -> Iterator[ast.Call]:
        for elt in node.elts:  # type: ignore[attr-defined]
            if isinstance(elt, (ast.List, ast.Tuple)):
                yield from self._flatten(elt, calls)
            else:
                call = self._modifier_call(elt, calls)
                if call is not None:
                    yield call

    def _bound_name_used_in_list(self, call: ast.Call, calls: dict[int, PyModifier]) -> bool:
        parent = self.parents.get(id(call))
        return isinstance(parent, (ast.Assign, ast.AnnAssign)) and any(
            isinstance(n, (ast.List, ast.Tuple)) and any(
                self._modifier_call(e, calls) is call for e in n.elts)
            for n in ast.walk(self.tree))

    # -- values ----------------------------------------------------------------------------
    def value(self, node: ast.expr, depth: int = 0, hops: int = 0) -> YNode:
        """The positioned node of a literal value; raises :class:`NotStatic`."""
        if depth > MAX_DEPTH:
            raise NotStatic(node, "the value nests too deeply")
        start, end = self.start(node), self.end(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bytes, complex)) or node.value is Ellipsis:
                raise NotStatic(node, f"a {type(node.value).__name__} value is not a recipe value")
            return YScalar(None, start, end, value=node.value, raw=self.src.text[start:end])
        if isinstance(node, (ast.List, ast.Tuple)):
            items = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    raise NotStatic(elt, "a `*` unpacking")
                child = self.value(elt, depth + 1, hops)
                items.append(YRef(child, child.start, child.end))
            return YSeq(None, start, end, items=items, flow=True)
        if isinstance(node, ast.Dict):
            pairs = []
            for k, v in zip(node.keys, node.values):
                if k is None:
                    raise NotStatic(v, "a `**` unpacking")
                key = self.value(k, depth + 1, hops)
                if not isinstance(key, YScalar):
                    raise NotStatic(k, "a key that is not a constant")
                child = self.value(v, depth + 1, hops)
                pairs.append(YPair(key, YRef(child, child.start, child.end)))
            return YMap(None, start, end, pairs=pairs, flow=True)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "dict" and not node.args and self._builtin(node.func):
            pairs = []
            for kw in node.keywords:
                if kw.arg is None:
                    raise NotStatic(kw.value, "a `**` unpacking")
                child = self.value(kw.value, depth + 1, hops)
                pairs.append(YPair(self.keyword_key(kw), YRef(child, child.start, child.end)))
            return YMap(None, start, end, pairs=pairs, flow=True)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                self.value_classes.get(node.func.id) in _VALUE_CLASSES and not node.args:
            # compressed-tensors' QuantizationScheme/QuantizationArgs(k=...): pydantic models
            # the modifier's field validates from the same mapping
            pairs = []
            for kw in node.keywords:
                if kw.arg is None:
                    raise NotStatic(kw.value, "a `**` unpacking")
                child = self.value(kw.value, depth + 1, hops)
                pairs.append(YPair(self.keyword_key(kw), YRef(child, child.start, child.end)))
            return YMap(None, start, end, pairs=pairs, flow=True)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                self.value_classes.get(node.value.id) in _ENUMS and node.attr.isupper():
            # QuantizationType.FLOAT -> "float" (compressed-tensors' str enums: the name lowered)
            return YScalar(None, start, end, value=node.attr.lower(),
                           raw=self.src.text[start:end])
        if isinstance(node, ast.Name):
            if hops >= MAX_NAME_HOPS:
                raise NotStatic(node, f"`{node.id}` goes through too many names")
            bound = self.binding(node)
            try:
                return self.value(bound, depth + 1, hops + 1)
            except NotStatic as e:
                raise NotStatic(node, f"`{node.id}`, bound to {e.reason}") from None
        if isinstance(node, (ast.UnaryOp, ast.BinOp)):
            value = self._arith(node, depth)
            return YScalar(None, start, end, value=value, raw=self.src.text[start:end])
        if isinstance(node, ast.JoinedStr):
            if all(isinstance(v, ast.Constant) for v in node.values):
                text = "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
                return YScalar(None, start, end, value=text, raw=self.src.text[start:end])
            raise NotStatic(node, "an f-string with names")
        raise NotStatic(node, _describe(node, self.src.text[start:end]))

    def _builtin(self, name: ast.Name) -> bool:
        try:
            self.binding(name)
        except NotStatic as e:
            return "not defined" in e.reason and "bound to" not in e.reason
        return False

    def _arith(self, node: ast.expr, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise NotStatic(node, "the value nests too deeply")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self._arith(node.operand, depth + 1)
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.BinOp):
            a, b = self._arith(node.left, depth + 1), self._arith(node.right, depth + 1)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Div: lambda: a / b, ast.FloorDiv: lambda: a // b,
                   ast.Pow: lambda: a ** b, ast.Mod: lambda: a % b}
            op = ops.get(type(node.op))
            if op is None or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                     for v in (a, b)):
                raise NotStatic(node, "an expression recipe-studio does not evaluate")
            if isinstance(node.op, ast.Pow) and (abs(b) > 64 or abs(a) > 2 ** 64):
                raise NotStatic(node, "a power too large to evaluate")
            try:
                return op()
            except (ArithmeticError, ValueError):
                raise NotStatic(node, "an expression that fails in Python") from None
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
                not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            value = self.value(node, depth + 1)
            if isinstance(value, YScalar) and isinstance(value.value, (int, float)):
                return value.value
        raise NotStatic(node, "an expression recipe-studio does not evaluate")

    def keyword_key(self, kw: ast.keyword) -> YScalar:
        start = self.start(kw)
        return YScalar(None, start, start + len(kw.arg or ""), value=kw.arg, raw=kw.arg or "")


#: compressed-tensors classes whose literal constructions are values (a mapping, an enum's
#: string); every other call is the script's business
_VALUE_CLASSES = ("QuantizationScheme", "QuantizationArgs")
_ENUMS = ("QuantizationType", "QuantizationStrategy")


def _is_modifiers_module(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 2 and parts[0] in LIBRARIES and parts[1] == "modifiers"


def _is_modifier_class(name: str) -> bool:
    return name.endswith("Modifier") and name[:1].isupper()


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _describe(node: ast.AST, text: str) -> str:
    short = text if len(text) <= 40 else text[:37] + "..."
    if isinstance(node, ast.Call):
        return f"the result of a call (`{short}`)"
    if isinstance(node, ast.Attribute):
        return f"an attribute (`{short}`)"
    if isinstance(node, ast.Subscript):
        return f"a subscript (`{short}`)"
    if isinstance(node, (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)):
        return f"a comprehension (`{short}`)"
    if isinstance(node, ast.IfExp):
        return f"a conditional expression (`{short}`)"
    return f"an expression (`{short}`)"


# -- loading ------------------------------------------------------------------------------
def load_python(source: Source, *, target: str | None = None) -> Recipe:
    """The recipes a script builds, read for the target library (default: the library the
    modifiers are imported from, llm-compressor when both or neither). A script that imports
    nothing from a modifiers package (:data:`PY_RECIPE_MARK`) has no recipe and no diagnostic."""
    if not looks_like_recipe_script(source.text):
        # no import from a modifiers package: not a recipe script (any Python file passes
        # through the pre-commit hook; its syntax is Python's business)
        return Recipe(source=source, doc=YamlDoc(None))
    try:
        tree = ast.parse(source.text, filename=source.path or "<script>")
    except SyntaxError as e:
        line, col = e.lineno or 1, e.offset or 1
        d = codes.PYTHON_SYNTAX.diag(
            f"the script is not valid Python: {e.msg}", Span.point(line, max(col, 1)),
            path=source.path, help="recipe-studio reads the script with Python's own parser "
                                   "(nothing is imported or run)")
        return Recipe(source=source, diagnostics=[d])
    except (ValueError, RecursionError, MemoryError) as e:
        d = codes.PYTHON_SYNTAX.diag(f"the script cannot be parsed: {e}", path=source.path)
        return Recipe(source=source, diagnostics=[d])
    script = Script(source, tree)
    recipe = Recipe(source=source, doc=YamlDoc(None))
    if not script.libraries:
        return recipe
    reason = "option"
    if target is None:
        target = "sparseml" if script.libraries == ["sparseml"] else "llmcompressor"
        reason = "inferred"
    from recipe_studio.read.stage.recipe import StageRecipe

    combined = StageRecipe(target=target, target_reason=reason)
    diags: list[Diagnostic] = []
    for number, py in enumerate(script.recipes(), 1):
        part = _read_recipe(script, py, target, number)
        part.stage_recipe.target_reason = reason
        combined.stages.extend(part.stage_recipe.stages)
        diags.extend(part.diagnostics)
        recipe.parts.append(part)
    recipe.stage_recipe = combined
    recipe.diagnostics = sort_diagnostics(diags)
    return recipe


def _read_recipe(script: Script, py: PyRecipe, target: str, number: int) -> Recipe:
    root = YMap(None, script.start(py.node), script.end(py.node))
    reader = _PyReader(script.src, YamlDoc(root), target, None)
    reader.read(script, py, number)
    recipe = Recipe(source=script.src, doc=reader.doc, diagnostics=sort_diagnostics(reader.diags))
    recipe.stage_recipe = reader.recipe
    return recipe


def _reader_base() -> type:
    from recipe_studio.read.stage.load import _Reader

    return _Reader


class _PyReader(_reader_base()):  # type: ignore[misc]
    """The stage reader, fed one Python recipe instead of a YAML mapping."""

    def read(self, script: Script, py: PyRecipe, number: int) -> None:
        from recipe_studio.read.stage.recipe import ModifierGroup, RecipeStage

        self.script = script
        self.partial: dict[int, tuple[set[str], bool]] = {}
        span = script.span(py.node)
        stage = RecipeStage(key="default_stage", name="default", span=span)
        self.recipe.stages.append(stage)
        group = ModifierGroup(key="default_modifiers", name="default", span=span)
        stage.groups.append(group)
        for index, mod in enumerate(py.modifiers):
            entry = self.modifier(stage, group, mod, index)
            if entry is not None:
                group.modifiers.append(entry)
        if self.target == "llmcompressor":
            self.recipe_rules_llmcompressor()

    def modifier(self, stage: Any, group: Any, mod: PyModifier, index: int) -> Any:
        script, call = self.script, mod.call
        key = YScalar(None, script.start(call.func), script.end(call.func), value=mod.name,
                      raw=script.src.text[script.start(call.func):script.end(call.func)])
        args = YMap(None, script.start(call), script.end(call), flow=True)
        skipped: set[str] = set()
        spread = False
        for arg in call.args:
            self.add(codes.STAGE_STRUCTURE,
                     f"`{mod.name}` takes keyword arguments only; Python fails (TypeError: "
                     "positional arguments to a pydantic model)", script.span(arg),
                     help="name the argument: `targets=...`, `scheme=...`")
        for kw in call.keywords:
            if kw.arg is None:
                spread = True
                self.note(kw, "`**` arguments are not read statically; the modifier is "
                              "checked with its other arguments")
                continue
            try:
                value = script.value(kw.value)
            except NotStatic as e:
                skipped.add(kw.arg)
                self.note(e.node, f"`{mod.name}.{kw.arg}` is not checked: its value is "
                                  f"{e.reason}; recipe-studio does not run the script")
                continue
            args.pairs.append(YPair(script.keyword_key(kw), YRef(value, value.start, value.end)))
        pair = YPair(key, YRef(args, args.start, args.end))
        # the tree lives as long as the reader (its YAML → Python memo is keyed by node id)
        self.root.pairs.append(pair)
        before = len(self.diags)
        if self.target == "sparseml":
            entry = self.modifier_sparseml(stage, group, mod.name, pair, index, {})
        else:
            entry = self.modifier_llmcompressor(stage, group, mod.name, pair)
        if entry is not None:
            entry.span = script.span(call)
            if skipped or spread:
                entry.spec = None  # the rules do not see a modifier they cannot know whole
                kept = self.diags[:before]
                for d in self.diags[before:]:
                    if d.code == codes.STAGE_MISSING_FIELD.code and (
                            spread or any(f"`{f}`" in d.message for f in skipped)):
                        continue
                    if d.code == codes.STAGE_STRUCTURE.code and "empty arguments" in d.message:
                        continue
                    kept.append(d)
                self.diags = kept
        # a rename of the class at the call would leave the import as it is
        self.diags = [d if not (d.code == codes.STAGE_UNKNOWN_MODIFIER.code and d.fix) else
                      _without_fix(d) for d in self.diags]
        return entry

    def note(self, node: ast.AST, message: str) -> None:
        self.add(codes.PYTHON_NOT_STATIC, message, self.script.span(node))


def _without_fix(d: Diagnostic) -> Diagnostic:
    from dataclasses import replace

    return replace(d, fix=None)
