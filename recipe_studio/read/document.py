"""The shape of a recipe document: its root, top-level keys and variables, stages, and the
modifier lists SparseML takes modifiers from.

SparseML 1.8's `ScheduledModifierManager.from_yaml` (sparseml-recipes.md §3–§4): a mapping
whose keys are variables, modifier lists (keys containing `modifiers`) or stages (mappings
that hold such keys); a document that is a single tagged modifier; overrides replacing
variables; the manager's sort of each list. Each modifier found is handed to
:class:`~recipe_studio.read.fields.ModifierReader`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Diagnostic, Related
from recipe_studio.models import catalog
from recipe_studio.models.base import type_name
from recipe_studio.numbers import as_written
from recipe_studio.read import codes, detect
from recipe_studio.read.fields import EMPTY_SCOPE, ModifierReader, Scope, is_modifier_node
from recipe_studio.read.recipe import Recipe, Stage
from recipe_studio.read.variables import Variable, resolve
from recipe_studio.read.yamltree import YMap, YNode, YRef, YScalar, YSeq, to_python, trimmed_end
from recipe_studio.schedule.order import ordering_failure

if TYPE_CHECKING:  # the loader imports this module; this one only names its type
    from recipe_studio.read.load import _Loader

METADATA_KEY = "__metadata__"
#: keys a misplaced modifier list is likely meant to be under (did-you-mean)
_LIST_KEYS = ["modifiers", "training_modifiers", "pruning_modifiers", "quantization_modifiers"]


class DocumentReader:
    """Reads one document's shape into the loader's recipe."""

    def __init__(self, loader: _Loader):
        self.ld = loader
        self.modifiers = ModifierReader(loader)

    def read(self, root: YNode | None) -> None:
        """Dispatch on the root: nothing, a modifier, a scalar, a bare list or a mapping."""
        ld = self.ld
        if root is None:
            self.empty_document()
        elif is_modifier_node(root):
            self.root_modifier(root)
        elif isinstance(root, YScalar):
            self.scalar_root(root)
        elif isinstance(root, YSeq):
            ld.add(codes.ROOT_NOT_MAPPING.diag(
                "the recipe is a bare list; SparseML 1.8 needs a mapping with a `modifiers:` "
                "key (`from_yaml` fails with \"'list' object has no attribute 'items'\")",
                ld.first_line_span(root), path=ld.path,
                help="put the list under a `modifiers:` key"))
            for item in root.items:
                self.list_item(item, "<root>", None, EMPTY_SCOPE, evaluate_fields=False)
        else:
            assert isinstance(root, YMap)
            self.mapping(root)

    def empty_document(self) -> None:
        ld = self.ld
        if any(d.severity.value == "error" for d in ld.diags):
            return
        misplaced = detect.modifiers_after_front_matter(ld.src)
        if misplaced is not None:
            ld.add(misplaced)
        else:
            ld.add(codes.EMPTY_RECIPE.diag(
                "the recipe is empty" if ld.src.form != "md" else
                "the recipe card's front matter is empty", ld.span(0, 0),
                help="add a `modifiers:` list", path=ld.path))

    def scalar_root(self, root: YScalar) -> None:
        ld = self.ld
        misplaced = detect.modifiers_after_front_matter(ld.src)
        if misplaced is not None:
            ld.add(misplaced)
        elif root.value is None:
            ld.add(codes.EMPTY_RECIPE.diag(
                "the recipe is empty", ld.node_span(root), path=ld.path,
                help="add a `modifiers:` list"))
        else:
            ld.add(codes.ROOT_NOT_MAPPING.diag(
                f"the recipe is the single value {as_written(root.value)}, not a mapping of "
                "variables and modifier lists", ld.first_line_span(root),
                path=ld.path, help="write `modifiers:` followed by a list of `- !Modifier`"))

    # -- the recipe mapping ------------------------------------------------------------
    def mapping(self, root: YMap) -> None:
        ld = self.ld
        top = self.top_level_pairs(root)
        if self.new_style(top):
            return
        flat = any("modifiers" in k for k, _ in top)
        stage_pairs = [(k, p) for k, p in top if _is_stage(p.value.node)]
        staged_eval = bool(stage_pairs)  # SparseML evaluates as staged if any stage exists
        ld.recipe.version = to_python(root.get("version").value.node) if root.get("version") else None
        if root.get(METADATA_KEY):
            ld.recipe.metadata = to_python(root.get(METADATA_KEY).value.node)

        global_vars = [self.variable(k, p, None) for k, p in top
                       if not (staged_eval and (k, p) in stage_pairs)]
        self.apply_overrides(top, global_vars, staged_eval)
        res = resolve(global_vars, path=ld.path)
        ld.diags.extend(ld.with_variable_fixes(res.diagnostics, global_vars))
        ld.recipe.variables = {v.name: v for v in global_vars}
        _record_dependency_uses(global_vars, ld.recipe.variables)
        global_scope = Scope(res.numeric, res.other, ld.recipe.variables)

        if flat:
            if stage_pairs:
                ld.add(self.mixed_forms(stage_pairs))
            self.collect(top, None, global_scope, evaluate_fields=not staged_eval)
        elif stage_pairs:
            for name, pair in stage_pairs:
                self.stage(name, pair, global_scope)
            self.check_stage_metadata()
        else:
            # no `modifiers` key and no stage: report modifier lists under other keys
            self.collect([(k, p) for k, p in top if isinstance(p.value.node, YSeq)], None,
                         global_scope, evaluate_fields=False, misplaced_only=True)

        if not ld.recipe.modifiers and not self._explained_empty():
            misplaced = detect.modifiers_after_front_matter(ld.src)
            ld.add(misplaced if misplaced is not None else codes.NO_MODIFIERS.diag(
                "no modifiers found: SparseML reads modifiers only from lists under keys "
                "whose name contains `modifiers` (e.g. `modifiers:`, `pruning_modifiers:`)",
                ld.first_line_span(root), path=ld.path,
                help="add a `modifiers:` list of `- !Modifier` items"))

    def top_level_pairs(self, root: YMap) -> list[tuple[str, Any]]:
        """The root's (key, pair)s with string keys; any other key is reported."""
        ld = self.ld
        top: list[tuple[str, Any]] = []
        for key, pair in root.entries():
            if not isinstance(key, str):
                ld.add(codes.NON_STRING_KEY.diag(
                    f"top-level key {as_written(key)} is {type_name(key)}; SparseML 1.8 crashes on "
                    "non-string top-level keys", ld.node_span(pair.key), path=ld.path,
                    help="quote the key or nest it under a variable"))
                continue
            top.append((key, pair))
        return top

    def mixed_forms(self, stage_pairs: list[tuple[str, Any]]) -> Diagnostic:
        names = ", ".join(f"`{k}`" for k, _ in stage_pairs)
        return codes.MIXED_FORMS.diag(
            f"the recipe has top-level modifier lists and stage {names}; SparseML "
            "1.8 evaluates it as staged (so `eval()` in the top-level lists is not "
            "evaluated) and then loads only the top-level lists, silently dropping "
            "the stage", self.ld.node_span(stage_pairs[0][1].key), path=self.ld.path,
            help="move the top-level modifiers into a stage, or the stage's into the "
                 "top-level lists")

    def _explained_empty(self) -> bool:
        return any(d.code in (codes.MODIFIER_OUTSIDE_LIST.code, codes.STAGED_UNSUPPORTED.code)
                   for d in self.ld.diags)

    def new_style(self, top: list[tuple[str, Any]]) -> bool:
        """Recognise llm-compressor / sparseml.core stage recipes: report once, stop."""
        hits = []
        for key, pair in top:
            node = pair.value.node
            if "modifiers" in key and isinstance(node, YMap) and node.custom_tag is None:
                hits.append(pair)
            elif isinstance(node, YMap) and node.custom_tag is None:
                for k, p in node.entries():
                    if (isinstance(k, str) and "modifiers" in k and isinstance(p.value.node, YMap)
                            and p.value.node.custom_tag is None):
                        hits.append(p)
        if not hits:
            return False
        classic = any(
            is_modifier_node(n) for _, p in top for n in _children(p.value.node, depth=3))
        first = hits[0]
        names = [k for k in first.value.node.keys() if isinstance(k, str)]
        shown = ", ".join(f"`{n}`" for n in names[:3]) or "modifier mappings"
        self.ld.add(codes.STAGED_UNSUPPORTED.diag(
            f"the modifier mappings under `{first.key.value}` ({shown}) are written as in a "
            "stage recipe, but no "
            "`*_stage` key holds them: SparseML's classic manager finds no modifiers in it, "
            "and neither SparseML 1.8's stage reader nor llm-compressor 0.14's finds a stage",
            self.ld.node_span(first.key), path=self.ld.path,
            help="put them in a stage: `main_stage:` with a `<name>_modifiers:` group under "
                 "it, or write a classic recipe (`modifiers:` with `- !Modifier` items)"))
        return not classic

    # -- variables ---------------------------------------------------------------------
    def variable(self, name: str, pair: Any, stage: str | None) -> Variable:
        ld = self.ld
        ref: YRef = pair.value
        v = Variable(name=name, stage=stage, key_span=ld.node_span(pair.key),
                     value_span=ld.span(ref.start, ref.end),
                     raw=to_python(ref.node, ld.py_memo), alias=ref.alias)
        if ref.alias is None:
            ld.var_refs[id(v)] = ref
        if ref.node.anchor:
            ld.anchor_vars.setdefault(ref.node.anchor, []).append(v)
        if ref.alias:
            for src in ld.anchor_vars.get(ref.alias, ()):
                src.uses.append(v.value_span)
        return v

    def apply_overrides(self, top: list[tuple[str, Any]], global_vars: list[Variable],
                        staged: bool) -> None:
        ld = self.ld
        by_name = {v.name: v for v in global_vars}
        for ov in ld.overrides:
            v = by_name.get(ov.name)
            found = False
            if v is not None:
                # SparseML's guard: flat, a modifier list is not replaced; staged, a mapping
                node = _pair_node(top, ov.name)
                if not (isinstance(node, YMap) if staged else _is_modifier_list(node)):
                    found = True
                    v.raw, v.overridden = ov.value, True
            if staged and _overridden_in_stage(top, ov.name):
                found = True  # applied when the stage's variables are built
            if found:
                ld.recipe.overrides[ov.name] = ov.value
                continue
            close = difflib.get_close_matches(ov.name, [k for k, _ in top], n=1, cutoff=0.6)
            ld.add(codes.UNKNOWN_OVERRIDE.diag(
                f"`{ov.origin}` sets `{ov.name}`, but the recipe has no such variable",
                ld.span(0, 0), path=ld.path,
                help=f"did you mean `{close[0]}`?" if close else
                "overrides can only change variables the recipe defines"))

    # -- stages ------------------------------------------------------------------------
    def stage(self, name: str, pair: Any, global_scope: Scope) -> None:
        ld = self.ld
        node: YMap = pair.value.node
        stage = Stage(name=name, span=ld.node_span(pair.key))
        stage_vars = []
        for key, p in node.entries():
            if not isinstance(key, str):
                continue
            v = self.variable(key, p, name)
            if key in ld.recipe.overrides and not _is_modifier_list(p.value.node):
                v.raw, v.overridden = ld.recipe.overrides[key], True
            stage_vars.append(v)
        stage.has_metadata = node.get(METADATA_KEY) is not None
        res = resolve(stage_vars, path=ld.path, globals_=ld.recipe.variables)
        ld.diags.extend(ld.with_variable_fixes(res.diagnostics, stage_vars))
        stage.variables = {v.name: v for v in stage_vars}
        _record_dependency_uses(stage_vars, {**ld.recipe.variables, **stage.variables})
        numeric = {**{k: v for k, v in global_scope.numeric.items() if k not in res.numeric},
                   **res.numeric}
        other = {**{k: v for k, v in global_scope.other.items() if k not in res.other},
                 **res.other}
        scope = Scope(numeric, other, {**ld.recipe.variables, **stage.variables})
        first = len(ld.recipe.modifiers)
        self.collect([(k, p) for k, p in node.entries() if isinstance(k, str)], name, scope,
                     evaluate_fields=True)
        stage.modifiers = list(range(first, len(ld.recipe.modifiers)))
        ld.recipe.stages.append(stage)

    def check_stage_metadata(self) -> None:
        stages = self.ld.recipe.stages
        with_meta = [s for s in stages if s.has_metadata]
        if with_meta and len(with_meta) != len(stages):
            missing = [s for s in stages if not s.has_metadata]
            self.ld.add(codes.STAGE_METADATA.diag(
                f"stage `{missing[0].name}` has no `__metadata__` but stage "
                f"`{with_meta[0].name}` has; SparseML requires all stages or none to have it",
                missing[0].span, path=self.ld.path,
                related=[Related(with_meta[0].span, "this stage has `__metadata__`")],
                help="add `__metadata__:` to every stage or remove it from all"))

    # -- modifier lists ----------------------------------------------------------------
    def collect(self, pairs: list[tuple[str, Any]], stage: str | None, scope: Scope, *,
                evaluate_fields: bool, misplaced_only: bool = False) -> None:
        """SparseML's `_load_stage_modifiers` over one container's keys."""
        for key, pair in pairs:
            node = pair.value.node
            if misplaced_only and not (isinstance(node, YSeq) and "modifiers" not in key):
                continue
            if "modifiers" in key and isinstance(node, YSeq):
                for item in node.items:
                    self.list_item(item, key, stage, scope, evaluate_fields=evaluate_fields)
            elif is_modifier_node(node):
                # a single modifier under any key is taken; its fields are evaluated only
                # when the key contains "modifiers" (SparseML evaluates those keys only)
                self.modifiers.read(node, pair.value, key, stage, scope,
                                    evaluate_fields=evaluate_fields and "modifiers" in key)
            elif isinstance(node, YSeq) and any(is_modifier_node(i.node) for i in node.items):
                self.ld.add(self.list_outside_modifiers_key(key, pair, {k for k, _ in pairs}))

    def list_outside_modifiers_key(self, key: str, pair: Any, taken: set[str]) -> Diagnostic:
        """Modifiers listed under a key without `modifiers` in its name (SparseML does not
        read them), with the closest list key as a did-you-mean."""
        ld = self.ld
        close = difflib.get_close_matches(key, _LIST_KEYS, n=1, cutoff=0.75)
        fix = ld.rename_fix(pair.key.start, pair.key.end, key, close[0], what="key") \
            if close and close[0] not in taken else None
        return codes.MODIFIER_OUTSIDE_LIST.diag(
            f"modifiers listed under `{key}`, a key without `modifiers` in its name; "
            "SparseML only reads modifier lists under keys containing `modifiers`",
            ld.node_span(pair.key), path=ld.path,
            help=f"did you mean `{close[0]}`?" if close else
            f"rename `{key}` to e.g. `{key}_modifiers`", fix=fix)

    def list_item(self, item: YRef, group: str, stage: str | None, scope: Scope, *,
                  evaluate_fields: bool) -> None:
        ld = self.ld
        if is_modifier_node(item.node):
            self.modifiers.read(item.node, item, group, stage, scope,
                                evaluate_fields=evaluate_fields)
            return
        node = item.node
        what = ("a mapping without a `!Modifier` tag" if isinstance(node, YMap) else
                f"the value {as_written(to_python(node))}" if isinstance(node, YScalar) else "a list")
        hint = "start the item with a tag such as `- !GMPruningModifier`"
        if isinstance(node, YMap) and len(node.pairs) == 1 and isinstance(node.pairs[0].key, YScalar):
            k = node.pairs[0].key.value
            if isinstance(k, str) and catalog.model_for(catalog.normalize_tag(k), ()) is not None:
                hint = f"write the tag form `- !{catalog.normalize_tag(k)}` instead of `{k}:`"
        ld.add(codes.NOT_A_MODIFIER.diag(
            f"item of `{group}` is {what}, not a modifier; SparseML accepts it at load and "
            "fails later (at modify or when reading `max_epochs`)",
            ld.span(item.start, max(item.start + 1, trimmed_end(
                ld.src.yaml_text, item.start, min(item.end, node.end)))),
            path=ld.path, help=hint))

    def root_modifier(self, root: YNode) -> None:
        """A document that is a single tagged modifier (SparseML loads it as a list of one).

        SparseML evaluates its fields as if they were top-level variables.
        """
        ld = self.ld
        scope = EMPTY_SCOPE
        if isinstance(root, YMap):
            fields = [self.variable(k, p, None) for k, p in root.entries() if isinstance(k, str)]
            res = resolve(fields, path=ld.path)
            ld.diags.extend(ld.with_variable_fixes(res.diagnostics, fields))
            scope = Scope(res.numeric, res.other, {})
        self.modifiers.read(root, YRef(root, root.start, root.end), "<root>", None, scope,
                            evaluate_fields=isinstance(root, YMap))


def manager_sort_diagnostics(recipe: Recipe, path: str | None) -> list[Diagnostic]:
    """SparseML's manager sorts each modifier list as it loads it; where two modifiers
    tie on end and start it compares their `identifier()`s, which can raise (see
    `schedule.order.ordering_failure`): then `from_yaml` fails, so this is a load error."""
    modifiers = recipe.modifiers
    lists = ([[modifiers[i] for i in s.modifiers] for s in recipe.stages]
             if recipe.stages else [modifiers])
    out = []
    for entries in lists:
        failure = ordering_failure([m for m in entries if m.spec is not None])
        if failure is None:
            continue
        entry, other, error = failure
        site = entry.fields.get(("submodules",))
        span = site.value_span if site is not None else entry.tag_span
        out.append(codes.INVALID_TYPE.diag(
            f"`!{entry.type}`: `submodules` must be a list of module names, got "
            f"{as_written(entry.args.get('submodules'))}; SparseML's manager reads it to order this "
            f"modifier against `!{other.type}` (same start and end epochs) and fails with "
            f"{error}", span, path=path,
            help="write a list, e.g. `submodules: [model]`, or leave the field out",
            related=(Related(other.tag_span, "the modifier it is ordered against"),)
            if other.tag_span is not None else ()))
    return out


def _is_stage(node: YNode) -> bool:
    return (isinstance(node, YMap) and node.custom_tag is None
            and any(isinstance(k, str) and "modifiers" in k for k in node.keys()))


def _record_dependency_uses(variables: list[Variable], scope: Mapping[str, Variable]) -> None:
    """A variable read by another variable's expression (or `eval(name)`) is used there."""
    for v in variables:
        names = list(v.deps)
        if v.expression is not None and v.expression.strip() in scope:
            names.append(v.expression.strip())
        for name in dict.fromkeys(names):
            target = scope.get(name)
            if target is not None and target is not v:
                target.uses.append(v.value_span)


def _pair_node(top: list[tuple[str, Any]], name: str) -> YNode | None:
    for k, p in top:
        if k == name:
            return p.value.node
    return None


def _is_modifier_list(node: YNode | None) -> bool:
    """SparseML's override guard: a list whose items are all mappings (modifiers, or `[]`)."""
    if not isinstance(node, YSeq):
        return False
    return all(isinstance(i.node, YMap) or is_modifier_node(i.node) for i in node.items)


def _overridden_in_stage(top: list[tuple[str, Any]], name: str) -> bool:
    """SparseML's staged override also sets the key inside every top-level mapping (not a
    modifier list there)."""
    for _, pair in top:
        node = pair.value.node
        if isinstance(node, YMap) and node.custom_tag is None:
            sub = node.get(name)
            if sub is not None and not _is_modifier_list(sub.value.node):
                return True
    return False


def _children(node: YNode, depth: int) -> Iterable[YNode]:
    yield node
    if depth <= 0:
        return
    if isinstance(node, YSeq):
        for i in node.items:
            yield from _children(i.node, depth - 1)
    elif isinstance(node, YMap):
        for p in node.pairs:
            yield from _children(p.value.node, depth - 1)
