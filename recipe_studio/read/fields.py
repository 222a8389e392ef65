"""One modifier: its tag, its fields and their values (`eval()` evaluated in the variables'
scope), and the typed model built from them.

This is SparseML's per-modifier step of `from_yaml` (sparseml-recipes.md §4–§5): the tag
names the class, `log_types` is dropped, every field written `eval(...)` is evaluated in
the scope of the recipe's (and stage's) variables, and the class's constructor validates
the rest. Each field's position is kept on the :class:`ModifierEntry` as a
:class:`FieldSite`; the model's errors become diagnostics in :mod:`.pydantic_errors`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from recipe_studio.diagnostics import Diagnostic, Related, Span
from recipe_studio.models import catalog
from recipe_studio.models.base import ModifierSpec, type_name
from recipe_studio.numbers import as_written
from recipe_studio.read import codes, partial, pydantic_errors
from recipe_studio.read.evaluator import EvalError, UnknownName, eval_body, evaluate, names_in
from recipe_studio.read.recipe import FieldPath, FieldSite, ModifierEntry, path_text
from recipe_studio.read.variables import Variable, eval_notes
from recipe_studio.read.yamltree import YMap, YNode, YRef, YScalar, YSeq, to_python

if TYPE_CHECKING:  # the loader imports this module; this one only names its type
    from recipe_studio.read.load import _Loader

#: SparseML deletes this key from every modifier before construction (optim/modifier.py)
DROPPED_FIELDS = ("log_types",)


def is_modifier_node(node: YNode) -> bool:
    """A node SparseML builds a modifier from: any node with a `!Name` tag."""
    return node.custom_tag is not None


class Scope:
    """Variables visible to modifier fields: numeric ones and substitutable ones."""

    def __init__(self, numeric: Mapping[str, Any], other: Mapping[str, Any],
                 variables: Mapping[str, Variable]):
        self.numeric = numeric
        self.other = other
        self.variables = variables


EMPTY_SCOPE = Scope({}, {}, {})


class ModifierReader:
    """Builds the :class:`ModifierEntry` of each tagged node, for one load."""

    def __init__(self, loader: _Loader):
        self.ld = loader

    def read(self, node: YNode, ref: YRef, group: str, stage: str | None, scope: Scope,
             *, evaluate_fields: bool) -> None:
        """Add the modifier written at `node` (under the key or list `group`) to the recipe."""
        ld = self.ld
        tag = node.custom_tag or ""
        written = tag[1:] if tag.startswith("!") else tag
        name = catalog.normalize_tag(written)
        tag_start = node.tag_start if node.tag_start >= 0 else node.start
        tag_span = ld.span(tag_start, tag_start + len(tag))
        entry = ModifierEntry(index=len(ld.recipe.modifiers), tag=written, type=name,
                              group=group, stage=stage, span=ld.node_span(node),
                              tag_span=tag_span, node=node)
        ld.recipe.modifiers.append(entry)
        if isinstance(node, YSeq):
            ld.add(codes.INVALID_TYPE.diag(
                f"`!{name}` is followed by a list; a modifier's fields must be a mapping",
                ld.node_span(node), path=ld.path))
            return
        failed: set[FieldPath] = set()
        args = self.arguments(entry, node, scope, evaluate_fields, failed) \
            if isinstance(node, YMap) else {}
        entry.args = args
        model = catalog.model_for(name, [k for k in args if isinstance(k, str)])
        if model is None:
            ld.add(self.unknown_modifier(name, tag, tag_start, tag_span))
            return
        self.validate(entry, model, args, failed)

    def arguments(self, entry: ModifierEntry, node: YMap, scope: Scope, evaluate_fields: bool,
                  failed: set[FieldPath]) -> dict[Any, Any]:
        """The modifier's fields as its constructor gets them (values evaluated; a field
        whose name is not a string, or whose `eval()` fails, goes to `failed`)."""
        ld = self.ld
        args: dict[Any, Any] = {}
        for key, pair in node.entries():
            entry.raw_args[key] = to_python(pair.value.node, ld.py_memo)
            if not isinstance(key, str):
                ld.add(codes.INVALID_TYPE.diag(
                    f"field name {as_written(key)} of `!{entry.type}` is {type_name(key)}; field "
                    "names must be strings", ld.node_span(pair.key), path=ld.path))
                failed.add((key,))
                continue
            value = self.field_value(entry, pair.value, (key,), (pair.key.start, pair.key.end),
                                     scope, evaluate_fields, failed)
            if key in DROPPED_FIELDS:
                continue
            args[key] = value
        return args

    def unknown_modifier(self, name: str, tag: str, tag_start: int, tag_span: Span
                         ) -> Diagnostic:
        suggestion = _suggest_tag(name)
        fix = None
        if suggestion and tag.endswith(name):  # keep a `pytorch.` prefix as written
            at = tag_start + len(tag) - len(name)
            fix = self.ld.rename_fix(at, at + len(name), name, suggestion, what="modifier")
        return codes.UNKNOWN_MODIFIER.diag(
            f"unknown modifier `!{name}`: SparseML 1.8 has no PyTorch modifier of that name",
            tag_span, path=self.ld.path,
            help=f"did you mean `!{suggestion}`?" if suggestion else
            "run `recipe-studio rule RS101` for the list of modifiers", fix=fix)

    def validate(self, entry: ModifierEntry, model: type[ModifierSpec], args: dict[Any, Any],
                 failed: set[FieldPath]) -> None:
        """Build the typed model; on failure, report why and keep the fields that
        validated (:mod:`.partial`)."""
        ld = self.ld
        try:
            entry.spec = model.model_validate(args)
        except ValidationError as exc:
            ld.diags.extend(pydantic_errors.validation_diagnostics(
                entry, model, exc, source=ld.src, failed=failed, rename_fix=ld.rename_fix))
            schedule = pydantic_errors.schedule_diagnostic(entry, model, args, exc,
                                                           source=ld.src, failed=failed)
            if schedule is not None:
                ld.add(schedule)
            entry.partial = partial.build(model, args, exc.errors(include_url=False), failed)

    def field_value(self, entry: ModifierEntry, ref: YRef, path: FieldPath,
                    key: tuple[int, int] | None, scope: Scope, evaluate_fields: bool,
                    failed: set[FieldPath]) -> Any:
        """The value of one (possibly nested) field; records its :class:`FieldSite`."""
        node = ref.node
        site = FieldSite(self.ld.src, key, (ref.start, ref.end), node, ref.alias)
        entry.fields[path] = site
        if ref.alias:
            users = self.ld.anchor_vars.get(ref.alias, ())
            site.variables = tuple(v.name for v in users)
            for v in users:
                v.uses.append(site.value_span)
        if node.__class__ is YScalar:  # the common case first (eval_body, inlined)
            value = node.value
            if evaluate_fields and isinstance(value, str) and value.startswith("eval(") and \
                    value.endswith(")"):
                return self.evaluated(entry, ref, path, site, value[5:-1], scope, failed)
            return value
        if isinstance(node, YSeq):
            return [self.field_value(entry, item, (*path, i), None, scope, evaluate_fields,
                                     failed) for i, item in enumerate(node.items)]
        if isinstance(node, YMap):
            out: dict[Any, Any] = {}
            for key_, pair in node.entries():
                out[key_] = self.field_value(entry, pair.value, (*path, key_),
                                             (pair.key.start, pair.key.end), scope,
                                             evaluate_fields, failed)
            return out
        assert isinstance(node, YScalar)
        body = eval_body(node.value) if evaluate_fields else None
        if body is None:
            return node.value
        return self.evaluated(entry, ref, path, site, body, scope, failed)

    def evaluated(self, entry: ModifierEntry, ref: YRef, path: FieldPath, site: FieldSite,
                  body: str, scope: Scope, failed: set[FieldPath]) -> Any:
        """The value of a field written `eval(body)` (the text as written when it fails)."""
        ld = self.ld
        node = ref.node
        assert isinstance(node, YScalar)
        value = node.value
        site.expression = body
        where = f"`{path_text(path)}` of `!{entry.type}`"
        if body in scope.other:
            site.variables = (body,)
            _use(scope, body, site.value_span)
            return scope.other[body]
        for n in names_in(body):  # a use even when the expression fails
            _use(scope, n, site.value_span)
        try:
            ev = evaluate(body, scope.numeric)
        except UnknownName as e:
            failed.add(path[:1])
            ld.add(self.unknown_name(e, where, site, scope))
            return value
        except EvalError as e:
            failed.add(path[:1])
            fix = ld.name_fix(node, *e.rename, what="function") \
                if e.rename and not ref.alias else None
            ld.add(e.code.diag(f"{where}: {e.message}", site.value_span, help=e.help,
                               path=ld.path, fix=fix))
            return value
        site.variables = tuple(ev.names)
        ld.diags.extend(eval_notes(ev, site.value_span, where, ld.path))
        return ev.value

    def unknown_name(self, e: UnknownName, where: str, site: FieldSite,
                     scope: Scope) -> Diagnostic:
        path = self.ld.path
        span = site.value_span
        v = scope.variables.get(e.name)
        if v is not None and v.failed:
            return codes.UNDEFINED_VARIABLE.diag(
                f"{where} uses `{e.name}`, which could not be evaluated", span, path=path,
                related=[Related(v.value_span, f"`{e.name}` is defined here")])
        if v is not None and e.name in scope.other:
            return codes.EVAL_NOT_NUMBER.diag(
                f"{where} uses `{e.name}` in an expression, but `{e.name}` is not a number "
                f"({type_name(scope.other[e.name])})", span, path=path,
                related=[Related(v.value_span, f"`{e.name}` is defined here")],
                help=f"a non-numeric variable can only be used alone: `eval({e.name})`")
        known = list(scope.numeric) + [k for k in scope.other if k not in scope.numeric]
        close = difflib.get_close_matches(e.name, known, n=1, cutoff=0.6)
        fix = self.ld.name_fix(site.node, e.name, close[0]) \
            if close and site.node is not None and not site.alias else None
        return codes.UNDEFINED_VARIABLE.diag(
            f"{where} uses `{e.name}`, which is not defined", span, path=path,
            help=f"did you mean `{close[0]}`?" if close else
            f"define `{e.name}` at the top of the recipe", fix=fix)


def _use(scope: Scope, name: str, span: Span) -> None:
    v = scope.variables.get(name)
    if v is not None:
        v.uses.append(span)


def _suggest_tag(name: str) -> str | None:
    from recipe_studio.stubs import active as stubs

    return _suggest_tag_among(name, stubs.classic_names())


@functools.lru_cache(maxsize=256)
def _suggest_tag_among(name: str, stub_names: tuple[str, ...]) -> str | None:
    # stub_names: the cache key (catalog.suggest_tag reads the active catalogue's names)
    return catalog.suggest_tag(name)
