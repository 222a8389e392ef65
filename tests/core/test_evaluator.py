"""The safe evaluator accepts SparseML's grammar, rejects everything else, and is bounded."""

from __future__ import annotations

import time

import pytest

from recipe_studio.read.evaluator import EvalError, UnknownName, eval_body, evaluate, names_in

VARS = {"num_epochs": 10, "lr": 0.5, "flag": True}


@pytest.mark.parametrize("expr, value", [
    ("1 + 2", 3), ("num_epochs - 1", 9), ("num_epochs / 4", 2.5), ("num_epochs // 4", 2),
    ("num_epochs % 4", 2), ("2 ** 10", 1024), ("(1 + 2) * 3", 9), ("abs(0 - 3)", 3),
    ("float(3)", 3.0), ("int(2.9)", 2), ("min(1, 2, num_epochs)", 1), ("max(lr, 0.1)", 0.5),
    ("round(lr * 3.333, ndigits=2)", 1.67), ("round(2.5)", 2), ("0x10", 16), ("1_000", 1000),
    ("1e-3", 0.001), ("flag + 1", 2), ("  num_epochs  ", 10),
])
def test_accepts_sparseml_grammar(expr, value):
    assert evaluate(expr, VARS).value == value


def test_unary_minus_is_computed_and_flagged():
    ev = evaluate("-num_epochs + 1", VARS)
    assert ev.value == -9 and ev.unary_minus


def test_only_first_statement_counts_like_sparseml():
    ev = evaluate("1; __import__('os').system('echo PWNED')", VARS)
    assert ev.value == 1 and ev.ignored_text


@pytest.mark.parametrize("expr, code, fragment", [
    ("__import__('os')", "RS303", "function `__import__`"),
    ("__import__('os').system('x')", "RS303", "cannot be called"),
    ("().__class__", "RS303", "attribute access"),
    ("lambda: 1", "RS303", "lambda"),
    ("[x for x in range(10)]", "RS303", "comprehension"),
    ("{1: 2}", "RS303", "dict"),
    ("num_epochs if 1 else 2", "RS303", "conditional"),
    ("1 < 2", "RS303", "comparison"),
    ("'abc'", "RS303", "not a number"),
    ("True", "RS303", "not a number"),
    ("1 << 3", "RS303", "operator `<<`"),
    ("~1", "RS303", "unary `~`"),
    ("+1", "RS303", "unary `+`"),
    ("len(1)", "RS303", "function `len`"),
    ("max([1, 2])", "RS303", "list"),
    ("", "RS303", "empty"),
    ("1 +", "RS303", "syntax"),
    ("1 / 0", "RS305", "division by zero"),
    ("10.0 ** 400", "RS305", "overflows"),
    ("1j", "RS306", "not an int or float"),
    ("10 ** 10 ** 10", "RS304", "digits"),
    ("9 ** 9 ** 9 ** 9", "RS304", "digits"),
    ("1 + " * 200 + "1", "RS304", "nests deeper"),
    ("1" * 1200, "RS304", "characters long"),
])
def test_rejects_with_code(expr, code, fragment):
    with pytest.raises(EvalError) as exc:
        evaluate(expr, VARS)
    assert exc.value.code.code == code
    assert fragment in exc.value.message


def test_unknown_name_suggests_close_variable():
    with pytest.raises(UnknownName) as exc:
        evaluate("num_epoch * 2", VARS)
    assert exc.value.name == "num_epoch" and exc.value.suggestion == "num_epochs"
    assert exc.value.code.code == "RS301"


@pytest.mark.parametrize("expr", ["10 ** 10 ** 10", "10 ** 10 ** 8", "2 ** 2 ** 64",
                                  "(10 ** 4000) * (10 ** 4000)", "round(1.5, 10 ** 9)"])
def test_huge_computations_fail_fast(expr):
    start = time.perf_counter()
    with pytest.raises(EvalError):
        evaluate(expr, VARS)
    assert time.perf_counter() - start < 1.0  # SparseML spends minutes on 10**10**8


def test_eval_body_matches_sparseml_test():
    assert eval_body("eval(1 + 2)") == "1 + 2"
    assert eval_body(" eval(1)") is None and eval_body("eval(1) ") is None
    assert eval_body(3) is None and eval_body("evaluate") is None


def test_names_in_ignores_function_names():
    assert names_in("max(a, b) + c * round(d)") == ["a", "b", "c", "d"]
    assert names_in("1 +") == []
