"""A safe, bounded re-implementation of SparseML's restricted `eval(...)` grammar.

SparseML 1.8 (`sparseml.utils.restricted_eval`) parses the text inside `eval(...)` with
`ast.parse(text.strip())`, evaluates only the first statement, and accepts numeric
literals, names of numeric variables, `+ - * / // % **`, parentheses and calls of
`abs float int min max round` (sparseml-recipes.md §3.4). This module walks the same AST
without ever calling Python's `eval`, and adds what SparseML lacks:

* limits (text length, nesting depth, exponent and integer size), so `eval(10**10**10)`
  fails in microseconds instead of running for minutes;
* unary minus, which SparseML crashes on (`'UnaryOp' object has no attribute 'left'`): we
  compute it and report the crash separately (:attr:`Evaluation.unary_minus`);
* errors that say what is wrong, with a did-you-mean for unknown names.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.read import codes

#: longest expression accepted inside eval(...)
MAX_LENGTH = 1000
#: deepest expression tree accepted
MAX_DEPTH = 100
#: SparseML fails to serialise integers longer than this (Python's int/str limit), after
#: spending minutes computing them; we refuse them up front.
MAX_INT_DIGITS = 4300
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10)) + 1

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs, "float": float, "int": int, "min": min, "max": max, "round": round,
}
_BINOPS: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Pow: ("**", operator.pow),
    ast.Mod: ("%", operator.mod),
}


def eval_body(value: Any) -> str | None:
    """The text inside `eval(...)` if `value` is an eval string as SparseML sees one.

    SparseML's test is `startswith("eval(") and endswith(")")` on the raw string, so
    surrounding blanks make it a plain string.
    """
    if isinstance(value, str) and value.startswith("eval(") and value.endswith(")"):
        return value[5:-1]
    return None


class EvalError(Exception):
    """An expression cannot be evaluated. `code` is the diagnostic to report."""

    def __init__(self, code: codes.Code, message: str, *, help: str | None = None,
                 rename: tuple[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.help = help
        #: (misspelt name, suggestion) when `help` is a did-you-mean (offered as a fix)
        self.rename = rename


class UnknownName(EvalError):
    """A name that is not a numeric variable (SparseML: UnknownVariableException)."""

    def __init__(self, name: str, known: Mapping[str, Any]):
        self.name = name
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
        self.suggestion = close[0] if close else None
        hint = f"did you mean `{self.suggestion}`?" if self.suggestion else None
        super().__init__(codes.UNDEFINED_VARIABLE, f"unknown variable `{name}`", help=hint,
                         rename=(name, self.suggestion) if self.suggestion else None)


@dataclass
class Evaluation:
    """The result of evaluating one expression."""

    value: int | float
    #: names read, in order of first use
    names: list[str] = field(default_factory=list)
    #: the expression uses unary minus (SparseML 1.8 crashes on it)
    unary_minus: bool = False
    #: the text has statements after the first one (SparseML ignores them)
    ignored_text: bool = False


def names_in(expression: str) -> list[str]:
    """Variable names an expression refers to (empty when it does not parse)."""
    known = _NAMES_IN.get(expression)
    if known is not None:
        return list(known)
    try:
        tree = ast.parse(expression.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # not remembered: a RecursionError depends on where it is asked
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            continue
        if isinstance(node, ast.Name) and node.id not in seen:
            seen.append(node.id)
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = tuple(n for n in seen if n not in called)
    if len(_NAMES_IN) >= 4096:  # the language server asks again on every edit: bounded
        _NAMES_IN.clear()
    _NAMES_IN[expression] = names
    return list(names)


#: names_in's answers by expression text (parsing is most of its cost)
_NAMES_IN: dict[str, tuple[str, ...]] = {}


def evaluate(expression: str, variables: Mapping[str, Any]) -> Evaluation:
    """Evaluate the text of an `eval(...)` with SparseML's grammar and numeric variables.

    Raises :class:`EvalError` (or its subclass :class:`UnknownName`).
    """
    if len(expression) > MAX_LENGTH:
        raise EvalError(codes.EVAL_LIMIT,
                        f"expression is {len(expression)} characters long; the limit is "
                        f"{MAX_LENGTH}")
    text = expression.strip()
    if not text:
        raise EvalError(codes.UNSUPPORTED_EVAL, "`eval()` is empty",
                        help="put a number or an expression inside `eval(...)`")
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise EvalError(codes.UNSUPPORTED_EVAL,
                        f"invalid expression syntax: {e.msg}") from None
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, deep nesting
        raise EvalError(codes.UNSUPPORTED_EVAL, f"invalid expression: {e}") from None
    if not tree.body:
        raise EvalError(codes.UNSUPPORTED_EVAL, "`eval()` has no expression")
    state = Evaluation(value=0, ignored_text=len(tree.body) > 1)
    state.value = _Walker(variables, state).eval(tree.body[0], 0)
    # SparseML's check is `isinstance(value, (int, float))`: a boolean variable passes
    if not isinstance(state.value, (int, float)):
        raise EvalError(codes.EVAL_NOT_NUMBER,
                        f"the expression gives {type(state.value).__name__} "
                        f"`{state.value!r}`, not an int or float")
    return state


class _Walker:
    def __init__(self, variables: Mapping[str, Any], state: Evaluation):
        self.variables = variables
        self.state = state

    def eval(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise EvalError(codes.EVAL_LIMIT,
                            f"expression nests deeper than {MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(node, ast.Expr):
            return self.eval(node.value, d)
        if isinstance(node, ast.Constant):
            v = node.value
            # SparseML checks `isinstance(node, ast.Num)`: int, float and complex, not bool
            if isinstance(v, bool) or not isinstance(v, (int, float, complex)):
                raise EvalError(codes.UNSUPPORTED_EVAL,
                                f"`{ast.unparse(node)}` is not a number; only numbers, "
                                "numeric variables, + - * / // % ** and abs/float/int/min/"
                                "max/round are allowed")
            return v
        if isinstance(node, ast.Name):
            if node.id not in self.state.names:
                self.state.names.append(node.id)
            if node.id in self.variables:
                return self.variables[node.id]
            raise UnknownName(node.id, self.variables)
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise EvalError(codes.UNSUPPORTED_EVAL,
                                f"operator `{_op_text(node.op)}` is not supported; use "
                                "+ - * / // % **")
            left = self.eval(node.left, d)
            right = self.eval(node.right, d)
            return self._binop(op[0], op[1], left, right)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                self.state.unary_minus = True
                value = self.eval(node.operand, d)
                return self._num(-value)
            raise EvalError(codes.UNSUPPORTED_EVAL,
                            f"unary `{_op_text(node.op)}` is not supported "
                            "(SparseML reports it as an unsupported binary operator)")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise EvalError(codes.UNSUPPORTED_EVAL,
                                f"`{ast.unparse(node.func)}` cannot be called; only "
                                "abs, float, int, min, max and round")
            fn = FUNCTIONS.get(node.func.id)
            if fn is None:
                close = difflib.get_close_matches(node.func.id, list(FUNCTIONS), n=1)
                raise EvalError(codes.UNSUPPORTED_EVAL,
                                f"function `{node.func.id}` is not supported; only abs, "
                                "float, int, min, max and round",
                                help=f"did you mean `{close[0]}`?" if close else None,
                                rename=(node.func.id, close[0]) if close else None)
            args = [self.eval(a, d) for a in node.args]
            kwargs = {k.arg: self.eval(k.value, d) for k in node.keywords}
            if any(k is None for k in kwargs):
                raise EvalError(codes.UNSUPPORTED_EVAL, "`**` arguments are not supported")
            return self._call(node.func.id, fn, args, kwargs)
        name = type(node).__name__
        raise EvalError(codes.UNSUPPORTED_EVAL,
                        f"{_DESCRIBE.get(name, name)} `{_unparse(node)}` is not supported; "
                        "only numbers, numeric variables, + - * / // % ** and "
                        "abs/float/int/min/max/round")

    def _num(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) \
                and value.bit_length() > _MAX_INT_BITS:
            raise EvalError(codes.EVAL_LIMIT,
                            f"the result has more than {MAX_INT_DIGITS} digits",
                            help="SparseML computes such numbers for minutes and then fails "
                                 "to serialise them")
        return value

    def _binop(self, sym: str, fn: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
        if sym == "**" and isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            bits = b * math.log2(abs(a))
            if bits > _MAX_INT_BITS:
                raise EvalError(codes.EVAL_LIMIT,
                                f"`{_short(a)} ** {_short(b)}` has about "
                                f"{int(bits / math.log2(10)):,} digits; the limit is "
                                f"{MAX_INT_DIGITS}",
                                help="SparseML would spend minutes computing it and then "
                                     "fail to serialise it")
        if sym in ("*",) and isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > _MAX_INT_BITS + 64:
                raise EvalError(codes.EVAL_LIMIT,
                                f"the result has more than {MAX_INT_DIGITS} digits")
        try:
            return self._num(fn(a, b))
        except ZeroDivisionError:
            raise EvalError(codes.EVAL_ARITHMETIC, f"division by zero in `{sym}`") from None
        except OverflowError:
            raise EvalError(codes.EVAL_ARITHMETIC,
                            f"`{sym}` overflows a float") from None
        except (TypeError, ValueError) as e:
            raise EvalError(codes.EVAL_ARITHMETIC, f"`{sym}` fails: {e}") from None

    def _call(self, name: str, fn: Callable[..., Any], args: list[Any],
              kwargs: dict[str, Any]) -> Any:
        if name == "round" and len(args) > 1 and isinstance(args[1], int) and abs(args[1]) > 10_000:
            raise EvalError(codes.EVAL_LIMIT, "`round` with more than 10000 digits")
        try:
            return self._num(fn(*args, **kwargs))
        except OverflowError as e:
            raise EvalError(codes.EVAL_ARITHMETIC, f"`{name}(...)` overflows: {e}") from None
        except (TypeError, ValueError, ZeroDivisionError) as e:
            raise EvalError(codes.EVAL_ARITHMETIC, f"`{name}(...)` fails: {e}") from None


_DESCRIBE = {
    "Compare": "comparison", "BoolOp": "boolean operator", "IfExp": "conditional",
    "Lambda": "lambda", "ListComp": "comprehension", "SetComp": "comprehension",
    "DictComp": "comprehension", "GeneratorExp": "generator", "Attribute": "attribute access",
    "Subscript": "subscript", "List": "list", "Tuple": "tuple", "Dict": "dict", "Set": "set",
    "Starred": "starred expression", "NamedExpr": "assignment expression",
    "Assign": "assignment", "Import": "import", "ImportFrom": "import", "JoinedStr": "f-string",
    "Await": "await", "Yield": "yield", "FunctionDef": "function definition",
}


def _op_text(op: ast.AST) -> str:
    return {
        "LShift": "<<", "RShift": ">>", "BitOr": "|", "BitXor": "^", "BitAnd": "&",
        "MatMult": "@", "UAdd": "+", "Invert": "~", "Not": "not",
    }.get(type(op).__name__, type(op).__name__)


def _unparse(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        text = type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _short(n: int) -> str:
    s = str(n) if n.bit_length() < 200 else f"<{n.bit_length()}-bit integer>"
    return s
