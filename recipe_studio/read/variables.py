"""Recipe variables: SparseML's exact resolution rules, with provenance.

Semantics (sparseml-recipes.md §3, `sparseml.optim.helpers`):

* every top-level key of a flat recipe takes part; ints/floats (and booleans) are numeric
  variables, `eval(...)` strings are expression variables, everything else (strings,
  lists, mappings, the modifier lists themselves) is a non-numeric variable;
* expression variables are resolved by a fixed-point loop over the keys in document
  order: an unknown name only defers an expression; when a sweep adds nothing, any
  expression left is an error ("form a cycle or are not defined");
* `eval(name)` where `name` is a non-numeric variable substitutes its value as is;
* in a stage, a global is visible only as the whole expression `eval(global)`;
  modifier fields in a stage see stage variables and globals, stage ones shadowing;
* overrides (`recipe_variables`, our `--var`/`--vars`) replace values *before*
  evaluation and must name an existing variable.

Unlike SparseML, every failure is reported (not just the first), at the variable's
position, and explained: undefined names get a did-you-mean, cycles are spelled out.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.read import codes
from recipe_studio.diagnostics import Diagnostic, Related, Span
from recipe_studio.read.evaluator import EvalError, Evaluation, UnknownName, eval_body, evaluate, names_in


def is_numeric(value: Any) -> bool:
    """SparseML's `isinstance(val, (int, float))` (so booleans count)."""
    return isinstance(value, (int, float))


@dataclass
class Variable:
    """A top-level (or stage-level) key of a recipe and what it resolves to."""

    name: str
    stage: str | None
    key_span: Span
    value_span: Span
    #: the value as written (after overrides), a plain Python value
    raw: Any
    #: final value: a number for numeric and resolved expression variables, `raw` otherwise
    value: Any = None
    #: the text inside eval(...) when the value is an expression
    expression: str | None = None
    #: resolved to an int/float
    numeric: bool = False
    #: the expression could not be evaluated
    failed: bool = False
    #: value came from --var/--vars
    overridden: bool = False
    #: the anchor this value is an alias of, if any
    alias: str | None = None
    #: names the expression reads
    deps: tuple[str, ...] = ()
    #: spans where the variable is used (eval expressions, aliases of its anchor)
    uses: list[Span] = field(default_factory=list)
    #: (misspelt name, suggestion) of a did-you-mean in its expression (the loader's fix)
    typo: tuple[str, str] | None = None


@dataclass
class Override:
    """One `--var NAME=VALUE` / `--vars` entry."""

    name: str
    value: Any
    origin: str  # the option text, for messages


def parse_var_option(text: str) -> Override:
    """`NAME=VALUE` from `--var`. VALUE is a float when `float()` accepts it, else a string.

    This mirrors SparseML's CSV `recipe_args` values, but splits on the first `=` only, so
    values such as `re:.*weight` pass (SparseML's CSV form cannot carry them).
    """
    if "=" not in text:
        raise ValueError(f"`--var {text}` must look like NAME=VALUE")
    name, value = text.split("=", 1)
    name = name.strip()
    if not name or any(c in name for c in "{}!="):
        raise ValueError(f"`--var {text}`: `{name}` is not a variable name")
    val: Any = value.strip()
    with contextlib.suppress(ValueError):
        val = float(val)
    return Override(name, val, f"--var {text}")


def parse_vars_option(text: str) -> list[Override]:
    """`--vars` with SparseML's `parse_recipe_variables` rules: JSON object, else CSV."""
    import json  # only for --vars: a cold validate without it does not load json

    try:
        data = json.loads(text)
    except ValueError:
        data = None
        out: list[Override] = []
        for item in text.replace(":", "=").split(","):
            parts = item.split("=")
            if len(parts) != 2:
                raise ValueError(
                    f"improper key=val `{item}` in `--vars {text}` (SparseML's CSV form "
                    "turns every `:` into `=`; pass values containing `:` or `=` as JSON "
                    "or with --var)") from None
            key, val = parts[0].strip(), parts[1].strip()
            if any(c in key for c in "{}!="):
                raise ValueError(f"improper key `{key}` in `--vars {text}`") from None
            value: Any = val
            with contextlib.suppress(ValueError):
                value = float(val)
            out.append(Override(key, value, f"--vars {text}"))
        return out
    if not isinstance(data, dict):
        raise ValueError(f"`--vars` must be a JSON object (or key=value,...), got "
                         f"{type(data).__name__}")
    return [Override(str(k), v, f"--vars {text}") for k, v in data.items()]


# ---- fixed-point resolution ----------------------------------------------------------


@dataclass
class Resolution:
    """Outcome of resolving one container (the globals, or one stage)."""

    #: numeric variables usable in expressions
    numeric: dict[str, int | float]
    #: non-numeric variables (substituted by `eval(name)`)
    other: dict[str, Any]
    diagnostics: list[Diagnostic]


def resolve(
    variables: list[Variable],
    *,
    path: str | None,
    globals_: Mapping[str, Variable] | None = None,
) -> Resolution:
    """Resolve a container's variables in place, as SparseML's fixed-point loop does.

    `globals_` is given for stage containers: stage expressions may name a global only as
    the whole expression (`eval(global)`), exactly as SparseML's `global_container`.
    """
    numeric: dict[str, int | float] = {}
    other: dict[str, Any] = {}
    failed: dict[str, EvalError] = {}
    pending: dict[str, Variable] = {}
    notes: list[Diagnostic] = []
    by_name = {v.name: v for v in variables}

    for v in variables:
        body = eval_body(v.raw)
        if is_numeric(v.raw):
            v.value, v.numeric = v.raw, True
        elif body is None:
            v.value = v.raw
        else:
            v.expression = body
            v.deps = tuple(names_in(body))

    changed = True
    while changed:
        changed = False
        for v in variables:
            if v.name in numeric or v.name in failed:
                continue
            if v.expression is None:
                if v.numeric:
                    numeric[v.name] = v.value
                    changed = True
                else:
                    other.setdefault(v.name, v.value)
                continue
            body = v.expression
            if body in other:
                value: Any = other[body]
            elif globals_ is not None and body in globals_:
                value = globals_[body].value
            else:
                try:
                    ev = evaluate(body, numeric)
                except UnknownName:
                    pending[v.name] = v
                    continue
                except EvalError as e:
                    failed[v.name] = e
                    pending.pop(v.name, None)
                    continue
                value = ev.value
                notes.extend(eval_notes(ev, v.value_span, f"variable `{v.name}`", path))
            if is_numeric(value):
                v.value, v.numeric = value, True
                numeric[v.name] = value
                pending.pop(v.name, None)
                changed = True
            else:
                pending[v.name] = v

    diagnostics: list[Diagnostic] = notes
    for name, err in failed.items():
        v = by_name[name]
        v.failed = True
        v.typo = err.rename
        diagnostics.append(err.code.diag(
            f"variable `{name}`: {err.message}", v.value_span, help=err.help, path=path))
    unresolved = {n: v for n, v in pending.items() if n not in numeric}
    for v in unresolved.values():
        v.failed = True
    diagnostics.extend(_explain_unresolved(unresolved, by_name, numeric, other, globals_, path))
    return Resolution(numeric, other, diagnostics)


def eval_notes(ev: Evaluation, span: Span, what: str, path: str | None) -> list[Diagnostic]:
    """Diagnostics for expressions that evaluate here but not (quite) in SparseML."""
    out = []
    if ev.unary_minus:
        out.append(codes.UNARY_MINUS.diag(
            f"{what}: SparseML 1.8 crashes on unary minus (`'UnaryOp' object has no "
            "attribute 'left'`)", span,
            help="write the negation as a subtraction, e.g. `eval(0 - x)`", path=path))
    if ev.ignored_text:
        out.append(codes.EVAL_IGNORED_TEXT.diag(
            f"{what}: only the first statement of the expression is evaluated", span,
            help="remove everything after the first `;` or newline", path=path))
    return out


def _explain_unresolved(
    unresolved: dict[str, Variable],
    by_name: dict[str, Variable],
    numeric: Mapping[str, Any],
    other: Mapping[str, Any],
    globals_: Mapping[str, Variable] | None,
    path: str | None,
) -> Iterable[Diagnostic]:
    """Why each leftover expression failed: undefined name, non-number, stage rule, cycle."""
    graph: dict[str, list[str]] = {}
    for name, v in unresolved.items():
        body = v.expression or ""
        if body in other:  # eval(list_var) at the top level
            kind = type(other[body]).__name__
            yield codes.EVAL_NOT_NUMBER.diag(
                f"variable `{name}` is `eval({body})` and `{body}` is not a number ({kind}); "
                "only numbers can be variables of variables",
                v.value_span, path=path,
                help=f"use `eval({body})` directly in the modifier field instead")
            continue
        if globals_ is not None and body in globals_:
            g = globals_[body]
            yield codes.EVAL_NOT_NUMBER.diag(
                f"stage variable `{name}` is `eval({body})`, and global `{body}` did not "
                "resolve to a number", v.value_span, path=path)
            continue
        missing = [d for d in v.deps if d not in by_name]
        nonnum = [d for d in v.deps if d in by_name and d in other and d not in unresolved]
        stage_globals = [d for d in missing if globals_ is not None and d in globals_]
        if stage_globals:
            g = stage_globals[0]
            yield codes.UNDEFINED_VARIABLE.diag(
                f"stage variable `{name}` uses global `{g}` inside an expression; SparseML "
                f"lets a stage see a global only as the whole expression `eval({g})`",
                v.value_span, path=path,
                help=f"add a stage variable `{g}: eval({g})` and use it, or move `{name}` "
                     "to the top level")
            continue
        if missing:
            d = missing[0]
            known = list(numeric) + [n for n in by_name if n not in numeric]
            close = difflib.get_close_matches(d, known, n=1, cutoff=0.6)
            v.typo = (d, close[0]) if close else None
            yield codes.UNDEFINED_VARIABLE.diag(
                f"variable `{name}` uses `{d}`, which is not defined", v.value_span,
                path=path, help=f"did you mean `{close[0]}`?" if close else
                f"define `{d}` at the top of the recipe")
            continue
        if nonnum:
            d = nonnum[0]
            yield codes.EVAL_NOT_NUMBER.diag(
                f"variable `{name}` uses `{d}`, which is not a number "
                f"({_kind(other[d])})", v.value_span, path=path)
            continue
        graph[name] = [d for d in v.deps if d in unresolved]
    # what is left depends only on other unresolved expressions: cycles and their dependents
    reported: set[str] = set()
    for start in graph:
        cycle = _find_cycle(start, graph)
        if cycle and not (set(cycle) & reported):
            reported.update(cycle)
            first = unresolved[cycle[0]]
            chain = " → ".join(f"`{c}`" for c in [*cycle, cycle[0]])
            yield codes.VARIABLE_CYCLE.diag(
                f"variables form a cycle: {chain}", first.value_span, path=path,
                help="break the cycle by giving one of them a number",
                related=[Related(unresolved[c].value_span, f"`{c}` is part of the cycle")
                         for c in cycle[1:]])
    for name in graph:
        if name in reported:
            continue
        blocked = [d for d in graph[name] if d in unresolved]
        yield codes.VARIABLE_CYCLE.diag(
            f"variable `{name}` cannot be evaluated: it depends on "
            f"{', '.join(f'`{b}`' for b in blocked)}, which cannot be evaluated",
            unresolved[name].value_span, path=path)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {"str": "a string", "list": "a list", "dict": "a mapping"}.get(
        type(value).__name__, type(value).__name__)


def _find_cycle(start: str, graph: Mapping[str, list[str]]) -> list[str] | None:
    path: list[str] = []
    on_path: set[str] = set()
    seen: set[str] = set()

    def dfs(n: str) -> list[str] | None:
        if n in on_path:
            return path[path.index(n):]
        if n in seen or n not in graph:
            return None
        seen.add(n)
        on_path.add(n)
        path.append(n)
        for m in graph[n]:
            found = dfs(m)
            if found:
                return found
        path.pop()
        on_path.discard(n)
        return None

    return dfs(start)
