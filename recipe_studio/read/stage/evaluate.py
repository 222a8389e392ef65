"""SparseML 1.8's stage-recipe variables and `eval(...)` (`sparseml/core/recipe/args.py:115-201`),
re-done without Python's `eval`.

SparseML takes the first `eval(<no parentheses>)` in a string, runs the text with Python's
`eval` (recipe variables as locals, `math` as a global), puts `str(result)` in its place and
converts the whole string with `float()`, recursing while that fails; top-level variables are
re-evaluated until nothing changes. Here the same steps run on a small, bounded interpreter of
the expressions that can be written without parentheses (numbers, strings, variables,
`math.<name>`, operators, comparisons, `x if c else y`, subscripts); anything else is reported
instead of run.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from typing import Any

EVAL_RE = re.compile(r"eval\(([^()]*)\)")
#: SparseML recurses without a bound (a self-reference ends in RecursionError)
MAX_DEPTH = 50
MAX_ROUNDS = 100
MAX_STR = 100_000


class StageEvalError(Exception):
    """Evaluation fails in SparseML (or would do something recipe-studio does not run)."""

    def __init__(self, message: str, *, name: str | None = None, unsupported: bool = False):
        super().__init__(message)
        self.message = message
        #: the undefined name, for a NameError
        self.name = name
        #: SparseML might evaluate it, recipe-studio does not
        self.unsupported = unsupported


_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
          ast.Invert: operator.invert}


class _Math:
    """The `math` module as a value (only its public names)."""


MATH = _Math()


def run_expression(text: str, names: dict[str, Any]) -> Any:
    """Python's `eval(text, {"math": math}, names)` for the parenthesis-free subset."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise StageEvalError(f"`{text.strip()}` is not a Python expression ({e.msg})") from None
    return _node(tree.body, names)


def _node(node: ast.AST, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id == "math":
            return MATH
        import builtins

        if hasattr(builtins, node.id):
            raise StageEvalError(f"`{node.id}` is a Python builtin; recipe-studio does not "
                                 "evaluate builtins", unsupported=True)
        raise StageEvalError(f"name `{node.id}` is not defined", name=node.id)
    if isinstance(node, ast.Attribute):
        base = _node(node.value, names)
        if base is MATH and not node.attr.startswith("_") and hasattr(math, node.attr):
            value = getattr(math, node.attr)
            if isinstance(value, (int, float)):
                return value
        raise StageEvalError(f"attribute `.{node.attr}` is not evaluated by recipe-studio",
                             unsupported=True)
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        left, right = _node(node.left, names), _node(node.right, names)
        _guard(node.op, left, right)
        try:
            return _BIN[type(node.op)](left, right)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as e:
            raise StageEvalError(f"{type(e).__name__}: {e}") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        value = _node(node.operand, names)
        try:
            return _UNARY[type(node.op)](value)
        except TypeError as e:
            raise StageEvalError(f"TypeError: {e}") from None
    if isinstance(node, ast.BoolOp):
        value = None
        for item in node.values:
            value = _node(item, names)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value
    if isinstance(node, ast.Compare):
        left = _node(node.left, names)
        for op, comp in zip(node.ops, node.comparators):
            right = _node(comp, names)
            try:
                if not _CMP[type(op)](left, right):
                    return False
            except TypeError as e:
                raise StageEvalError(f"TypeError: {e}") from None
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _node(node.body if _node(node.test, names) else node.orelse, names)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_node(e, names) for e in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict):
        return {_node(k, names): _node(v, names) for k, v in zip(node.keys, node.values)
                if k is not None}
    if isinstance(node, ast.Subscript):
        base, index = _node(node.value, names), _node(node.slice, names)
        try:
            return base[index]
        except (TypeError, KeyError, IndexError) as e:
            raise StageEvalError(f"{type(e).__name__}: {e}") from None
    raise StageEvalError(f"`{ast.unparse(node)}` uses syntax recipe-studio does not evaluate",
                         unsupported=True)


def _guard(op: ast.operator, left: Any, right: Any) -> None:
    if isinstance(op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 1000 and \
            isinstance(left, (int, float)) and abs(left) > 1:
        raise StageEvalError("the power is too large to evaluate", unsupported=True)
    if isinstance(op, ast.Mult) and isinstance(left, (str, list, tuple)) != \
            isinstance(right, (str, list, tuple)):
        seq, n = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
        if isinstance(n, int) and len(seq) * max(n, 0) > MAX_STR:
            raise StageEvalError("the repetition is too large to evaluate", unsupported=True)


def eval_str(target: str, args: dict[str, Any], _depth: int = 0) -> Any:
    """`RecipeArgs.eval_str` (args.py:115-146)."""
    if "eval(" not in target:
        return target
    if _depth > MAX_DEPTH:
        raise StageEvalError("evaluation does not end (SparseML fails with RecursionError)")
    match = EVAL_RE.search(target)
    if not match:
        raise StageEvalError(f"invalid eval string {target}: SparseML evaluates only "
                             "`eval(...)` without parentheses inside")
    result = run_expression(match.group(1), args)
    text = str(result)
    if len(text) > MAX_STR:
        raise StageEvalError("the result is too large", unsupported=True)
    new_target = target.replace(match.group(0), text)
    try:
        return float(new_target)
    except ValueError:
        return eval_str(new_target, args, _depth + 1)


def eval_args(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, StageEvalError]]:
    """`RecipeArgs.eval_args` (args.py:148-175): every string variable, until nothing changes.

    Returns the values and, for each variable whose evaluation fails, the error (SparseML stops
    at the first; every one is reported here, and a failed variable keeps its text)."""
    resolved = dict(args)
    errors: dict[str, StageEvalError] = {}
    for _ in range(MAX_ROUNDS):
        before = dict(resolved)
        for key, value in list(resolved.items()):
            if isinstance(value, str) and key not in errors:
                try:
                    resolved[key] = eval_str(value, resolved)
                except StageEvalError as e:
                    errors[key] = e
        if before == resolved:
            break
    return resolved, errors


def eval_obj(target: Any, args: dict[str, Any]) -> Any:
    """`RecipeArgs.eval_obj` (args.py:177-201): strings, dicts and lists, recursively."""
    if isinstance(target, str):
        return eval_str(target, args)
    if isinstance(target, dict):
        return {k: eval_obj(v, args) for k, v in target.items()}
    if isinstance(target, list):
        return [eval_obj(v, args) for v in target]
    return target
