"""Property tests for the recipe core: parser, evaluator, finalize."""

from __future__ import annotations

import math

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recipe_studio.read.evaluator import EvalError, evaluate
from recipe_studio.transform.finalize import finalize_yaml
from recipe_studio.read.load import load
from recipe_studio.read.source import from_text
from recipe_studio.read.yamltree import parse_yaml, to_python

# ---- the positioned tree reads YAML exactly as PyYAML ------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=6), inner,
                                            max_size=4)),
    max_leaves=20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.booleans())
def test_tree_reads_what_pyyaml_reads(data, flow):
    text = yaml.safe_dump({"root": data}, default_flow_style=flow, allow_unicode=True)
    doc = parse_yaml(from_text(text, path="x.yaml"))
    assert not [d for d in doc.diagnostics if d.severity.value == "error"]
    assert to_python(doc.root) == yaml.safe_load(text)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_parser_never_crashes_on_arbitrary_text(text):
    doc = parse_yaml(from_text(text, path="x.yaml"))
    for d in doc.diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_loader_never_raises(text):
    recipe = load("modifiers:\n" + text if "\n" in text else text + "\n")
    for d in recipe.diagnostics:
        assert d.message and d.span.line >= 1


# ---- the evaluator computes what Python computes, within SparseML's grammar --------

numbers = st.one_of(st.integers(-50, 50), st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 3)))


@st.composite
def expressions(draw, depth=0):
    if depth > 3 or draw(st.booleans()):
        n = draw(numbers)
        return f"({n})" if n < 0 else repr(n)
    kind = draw(st.sampled_from(["bin", "bin", "bin", "call", "neg"]))
    if kind == "neg":
        return f"-({draw(expressions(depth + 1))})"
    if kind == "call":
        fn = draw(st.sampled_from(["abs", "float", "min", "max", "round"]))
        if fn in ("min", "max"):
            return f"{fn}({draw(expressions(depth + 1))}, {draw(expressions(depth + 1))})"
        return f"{fn}({draw(expressions(depth + 1))})"
    op = draw(st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]))
    if op == "**":  # a small exponent: Python's own eval of `(50 ** 50) ** 50 ...` never ends
        return f"({draw(expressions(depth + 1))} ** {draw(st.sampled_from(['2', '3', '0.5', '(-1)']))})"
    return f"({draw(expressions(depth + 1))} {op} {draw(expressions(depth + 1))})"


@settings(max_examples=500)
@given(expressions())
def test_evaluator_matches_python(expr):
    try:
        expected = eval(expr, {"__builtins__": {}}, {"abs": abs, "float": float, "min": min,
                                                      "max": max, "round": round})
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        expected = None
    try:
        got = evaluate(expr, {}).value
    except EvalError:
        got = None
    if isinstance(expected, complex):
        assert got is None  # SparseML rejects non-real results
        return
    if expected is None or got is None:
        # we refuse exactly what Python cannot compute, plus numbers over the size limit
        too_big = isinstance(expected, int) and abs(expected).bit_length() * math.log10(2) > 4299
        assert (expected is None) == (got is None) or too_big
        return
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected and type(got) is type(expected)


# ---- load ∘ finalize ∘ load is the identity on the modifiers -----------------------

epochs = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def recipes(draw):
    n_epochs = draw(st.integers(2, 100))
    start = draw(epochs.filter(lambda x: x < n_epochs))
    end = draw(st.floats(start + 0.5, n_epochs + 0.5).map(lambda x: round(x, 2)))
    assume(end > start)
    init = draw(st.floats(0.0, 0.5).map(lambda x: round(x, 3)))
    final = draw(st.floats(0.51, 0.99).map(lambda x: round(x, 3)))
    freq = draw(st.sampled_from([0.5, 1.0, 2.0, -1.0]))
    use_vars = draw(st.booleans())
    head = f"num_epochs: {float(n_epochs)}\nprune_end: {end}\n" if use_vars else ""
    ep_end = "eval(num_epochs)" if use_vars else f"{float(n_epochs)}"
    pr_end = "eval(prune_end)" if use_vars else f"{end}"
    return (f"{head}modifiers:\n"
            f"  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: {ep_end}\n"
            f"  - !GMPruningModifier\n    params: __ALL_PRUNABLE__\n    init_sparsity: {float(init)}\n"
            f"    final_sparsity: {float(final)}\n    start_epoch: {float(start)}\n"
            f"    end_epoch: {pr_end}\n    update_frequency: {freq}\n"
            f"    inter_func: {draw(st.sampled_from(['linear', 'cubic', 'inverse_cubic']))}\n")


@settings(max_examples=150)
@given(recipes())
def test_finalize_round_trips(text):
    first = load(text)
    assert first.ok, [d.message for d in first.diagnostics]
    again = load(finalize_yaml(first))
    assert again.ok
    assert [(m.type, m.args) for m in again.modifiers] == [(m.type, m.args) for m in first.modifiers]
    assert finalize_yaml(again, header=False) == finalize_yaml(first, header=False)


# ---- the verdict is PyYAML's pure-Python one (SparseML's `yaml.safe_load`) -----------

#: YAML fragments that exercise the places libyaml and the pure-Python scanner may differ
_PIECES = ["a", "b", "1", ".5", "e", "x", "~", ":", ": ", " ", "  ", "\n", "\n  ", "\n    ",
           "- ", "-", "[", "]", "{", "}", ",", ", ", "#", " #", "'", '"', "''", "!", "!!", "!x ",
           "!!str ", "!e!", "&a ", "*a", "&b", "*b", "? ", "?", "|", ">", "|-", ">+", "|2",
           "%", "\\", "\\u", "\\x", "\\N", "\\ud800", "\t", "é", "\x85", "\u2028", "\u2029",
           "\ufeff", "\xa0", "\x7f", "---", "...", "<<", "%YAML 1.1\n", "%YAML 1.2\n",
           "%TAG !e! tag:yaml.org,2002:\n", "!<tag:yaml.org,2002:str> ", "@", "`", "=", "+"]
_fragments = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=20).map("".join)


def _events(text: str, loader: type) -> list[tuple]:
    out: list[tuple] = []
    try:
        for e in yaml.parse(text, Loader=loader):
            flow = getattr(e, "flow_style", None)
            out.append((type(e).__name__, getattr(e, "anchor", None), getattr(e, "tag", None),
                        getattr(e, "implicit", None), getattr(e, "value", None), bool(flow),
                        e.start_mark.index, e.end_mark.index))
    except yaml.YAMLError:
        out.append(("error",))
    except Exception as e:  # noqa: BLE001 - e.g. libyaml cannot encode a surrogate
        out.append(("crash", type(e).__name__))
    return out


@settings(max_examples=1000, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(_fragments)
def test_libyaml_is_used_only_where_it_reads_as_pure_python_pyyaml(text):
    from recipe_studio.read.yamltree import needs_pure_python

    assume(not needs_pure_python(text))
    assert _events(text, yaml.CSafeLoader) == _events(text, yaml.SafeLoader)


class _SafeLoaderWithLocalTags(yaml.SafeLoader):
    """`yaml.safe_load`, except that a non-standard tag (`!Modifier`) builds a plain value."""

    def construct_undefined(self, node):
        if node.tag.startswith("tag:yaml.org,2002:"):
            return super().construct_undefined(node)
        if isinstance(node, yaml.MappingNode):
            return self.construct_mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return self.construct_sequence(node)
        return self.construct_scalar(node)


_SafeLoaderWithLocalTags.add_constructor(None, _SafeLoaderWithLocalTags.construct_undefined)


@settings(max_examples=1000, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(_fragments)
def test_tree_verdict_and_values_are_pure_python_safe_load(text):
    try:
        expected = yaml.load(text, Loader=_SafeLoaderWithLocalTags)
        loads = True
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError):
        loads = False
    doc = parse_yaml(from_text(text, path="x.yaml"))
    assert (doc.root is not None or (loads and expected is None)) == loads, doc.diagnostics
    if loads and doc.root is not None:
        assert repr(to_python(doc.root)) == repr(expected)
