"""Text → positioned YAML → variables → typed recipe, reporting every problem on the way.

This is SparseML 1.8's `ScheduledModifierManager.from_yaml` pipeline (sparseml-recipes.md
§1) re-done for diagnosis: the same file forms, YAML resolver, containers, variable and
`eval` rules and constructor checks, but every failure becomes a :class:`Diagnostic` with
the file position of the offending key or value, and loading continues so that all
problems are reported at once.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import replace
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from recipe_studio.read import codes, partial, rewrite
from recipe_studio.read import fixes
from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Related, Span, sort_diagnostics
from recipe_studio.read.evaluator import EvalError, UnknownName, eval_body, evaluate, names_in
from recipe_studio.models import catalog
from recipe_studio.models.base import PARAM_TOKENS, ModifierSpec, type_name
from recipe_studio.numbers import as_written
from recipe_studio.read.recipe import FieldPath, FieldSite, ModifierEntry, Recipe, Stage
from recipe_studio.read.recipe import path_text as _path_text
from recipe_studio.read.source import Source, SourceError, from_text, read_source
from recipe_studio.read.variables import Override, Variable, eval_notes, resolve
from recipe_studio.read.yamltree import YMap, YNode, YRef, YScalar, YSeq, parse_yaml, to_python

METADATA_KEY = "__metadata__"
#: SparseML deletes this key from every modifier before construction (optim/modifier.py)
DROPPED_FIELDS = ("log_types",)


def load(
    recipe: str | os.PathLike[str] | Source,
    *,
    overrides: Iterable[Override] | Mapping[str, Any] = (),
    path: str | None = None,
    target: str | None = None,
) -> Recipe:
    """Load a recipe from a path, raw text (anything containing a newline) or a Source.

    `target` (`sparseml` or `llmcompressor`) is the library a stage recipe is checked
    against; without it the stage reader infers it (`recipe_studio.read.stage`).

    Never raises for bad input: a missing file, unreadable bytes or broken YAML come back
    as diagnostics on the returned :class:`Recipe` (check :attr:`Recipe.ok`).
    """
    if isinstance(overrides, Mapping):
        overrides = [Override(str(k), v, f"{k}={v}") for k, v in overrides.items()]
    try:
        if isinstance(recipe, Source):
            source = recipe
        elif isinstance(recipe, str) and ("\n" in recipe or "\r" in recipe):
            source = from_text(recipe, path=path, form=None if path else "text")
        else:
            source = read_source(recipe, display=path)
    except SourceError as e:
        return Recipe(source=None, diagnostics=[e.diagnostic])
    return _Loader(source, list(overrides), target).run()


def is_modifier_node(node: YNode) -> bool:
    """A node SparseML builds a modifier from: any node with a `!Name` tag."""
    return node.custom_tag is not None


class _Scope:
    """Variables visible to modifier fields: numeric ones and substitutable ones."""

    def __init__(self, numeric: Mapping[str, Any], other: Mapping[str, Any],
                 variables: Mapping[str, Variable]):
        self.numeric = numeric
        self.other = other
        self.variables = variables


class _Loader:
    def __init__(self, source: Source, overrides: list[Override], target: str | None = None):
        self.src = source
        self.target = target
        self.path = source.path
        self.overrides = overrides
        self.diags: list[Diagnostic] = list(source.notes)
        self.recipe = Recipe(source=source)
        #: anchor name -> variables whose value carries that anchor
        self.anchor_vars: dict[str, list[Variable]] = {}
        #: one to_python memo per document: variables and raw_args share converted values
        self._py: dict[int, Any] = {}
        #: id(variable) -> where its value is written (for did-you-mean fixes)
        self._var_refs: dict[int, YRef] = {}

    # -- helpers -----------------------------------------------------------------------
    def span(self, start: int, end: int) -> Span:
        return self.src.span(start, end)

    def node_span(self, node: YNode) -> Span:
        return self.span(node.start, _trimmed_end(self.src.yaml_text, node.start, node.end))

    def first_line_span(self, node: YNode) -> Span:
        """The node's span clipped to its first line (for whole-block diagnostics)."""
        text = self.src.yaml_text
        end = text.find("\n", node.start)
        end = node.end if end < 0 else min(end, node.end)
        return self.span(node.start, max(end, node.start + 1))

    def add(self, diag: Diagnostic) -> None:
        self.diags.append(diag)

    # -- did-you-mean fixes (policy: recipe_studio.lint.fix) ----------------------------------
    def rename_fix(self, start: int, end: int, old: str, new: str, *, safe: bool = False,
                   what: str = "") -> Fix | None:
        """Rename the scalar `old` written at YAML offsets [start, end) to `new`."""
        return fixes.rename_fix(self.src.text, self.src.start + start, self.src.start + end,
                                old, new, safe=safe, what=what)

    def name_fix(self, node: YNode, old: str, new: str, what: str = "variable") -> Fix | None:
        """Rename the name `old` inside the `eval(...)` of a scalar node to `new`."""
        if not isinstance(node, YScalar):
            return None
        return fixes.rename_name_fix(self.src.text, self.src.start + node.start,
                                     self.src.start + node.end, old, new, what=what)

    def with_variable_fixes(self, diags: list[Diagnostic], variables: list[Variable]
                            ) -> list[Diagnostic]:
        """Attach the rename to the RS301/RS303 did-you-mean of a variable's expression."""
        typos = {v.value_span: v for v in variables if v.typo and id(v) in self._var_refs}
        if not typos:
            return diags
        out = []
        for d in diags:
            v = typos.get(d.span)
            if v is not None and d.fix is None and d.code in (
                    codes.UNDEFINED_VARIABLE.code, codes.UNSUPPORTED_EVAL.code) and \
                    v.typo and f"`{v.typo[1]}`" in (d.help or ""):
                what = "variable" if d.code == codes.UNDEFINED_VARIABLE.code else "function"
                fix = self.name_fix(self._var_refs[id(v)].node, *v.typo, what=what)
                if fix is not None:
                    d = replace(d, fix=fix)
            out.append(d)
        return out

    # -- pipeline ----------------------------------------------------------------------
    def run(self) -> Recipe:
        doc = parse_yaml(self.src)
        from recipe_studio.read.stage import dispatch  # stage recipes: their own reader

        staged = dispatch(self.src, doc, target=self.target)
        if staged is not None:
            return staged
        self.recipe.doc = doc
        self.diags.extend(doc.diagnostics)
        root = doc.root
        if root is None:
            misplaced = self._modifiers_after_front_matter()
            if misplaced is not None and not any(d.severity.value == "error"
                                                 for d in self.diags):
                self.add(misplaced)
            elif not any(d.severity.value == "error" for d in self.diags):
                self.add(codes.EMPTY_RECIPE.diag(
                    "the recipe is empty" if self.src.form != "md" else
                    "the recipe card's front matter is empty", self.span(0, 0),
                    help="add a `modifiers:` list", path=self.path))
            return self.finish()
        rewrite_diags, text_tags = rewrite.check(self.src, doc)
        self.diags.extend(rewrite_diags)
        self.recipe.text_tags = text_tags
        if is_modifier_node(root):
            self.root_modifier(root)
        elif isinstance(root, YScalar):
            misplaced = self._modifiers_after_front_matter()
            if misplaced is not None:
                self.add(misplaced)
            elif root.value is None:
                self.add(codes.EMPTY_RECIPE.diag(
                    "the recipe is empty", self.node_span(root), path=self.path,
                    help="add a `modifiers:` list"))
            else:
                self.add(codes.ROOT_NOT_MAPPING.diag(
                    f"the recipe is the single value {as_written(root.value)}, not a mapping of "
                    "variables and modifier lists", self.first_line_span(root),
                    path=self.path, help="write `modifiers:` followed by a list of `- !Modifier`"))
        elif isinstance(root, YSeq):
            self.add(codes.ROOT_NOT_MAPPING.diag(
                "the recipe is a bare list; SparseML 1.8 needs a mapping with a `modifiers:` "
                "key (`from_yaml` fails with \"'list' object has no attribute 'items'\")",
                self.first_line_span(root), path=self.path,
                help="put the list under a `modifiers:` key"))
            scope = _Scope({}, {}, {})
            for i, item in enumerate(root.items):
                self.list_item(item, "<root>", None, scope, evaluate_fields=False)
        else:
            assert isinstance(root, YMap)
            self.mapping(root)
        return self.finish()

    def finish(self) -> Recipe:
        self.check_manager_sort()
        not_a_recipe = self._not_a_recipe()
        if not_a_recipe is not None:
            self.diags = [not_a_recipe]
        self.recipe.diagnostics = sort_diagnostics(self.diags)
        for i, m in enumerate(self.recipe.modifiers):
            m.index = i
        return self.recipe

    def check_manager_sort(self) -> None:
        """SparseML's manager sorts each modifier list as it loads it; where two modifiers
        tie on end and start it compares their `identifier()`s, which can raise (see
        `schedule.order.ordering_failure`): then `from_yaml` fails, so this is a load error."""
        from recipe_studio.schedule.order import ordering_failure

        modifiers = self.recipe.modifiers
        lists = ([[modifiers[i] for i in s.modifiers] for s in self.recipe.stages]
                 if self.recipe.stages else [modifiers])
        for entries in lists:
            failure = ordering_failure([m for m in entries if m.spec is not None])
            if failure is None:
                continue
            entry, other, error = failure
            site = entry.fields.get(("submodules",))
            span = site.value_span if site is not None else entry.tag_span
            self.add(codes.INVALID_TYPE.diag(
                f"`!{entry.type}`: `submodules` must be a list of module names, got "
                f"{as_written(entry.args.get('submodules'))}; SparseML's manager reads it to order this "
                f"modifier against `!{other.type}` (same start and end epochs) and fails with "
                f"{error}", span, path=self.path,
                help="write a list, e.g. `submodules: [model]`, or leave the field out",
                related=(Related(other.tag_span, "the modifier it is ordered against"),)
                if other.tag_span is not None else ()))

    # -- the recipe mapping ------------------------------------------------------------
    def mapping(self, root: YMap) -> None:
        entries = root.entries()
        top: list[tuple[str, Any]] = []
        for key, pair in entries:
            if not isinstance(key, str):
                self.add(codes.NON_STRING_KEY.diag(
                    f"top-level key {as_written(key)} is {type_name(key)}; SparseML 1.8 crashes on "
                    "non-string top-level keys", self.node_span(pair.key), path=self.path,
                    help="quote the key or nest it under a variable"))
                continue
            top.append((key, pair))
        keys = [k for k, _ in top]

        if self.new_style(top):
            return
        flat = any("modifiers" in k for k in keys)
        stage_pairs = [(k, p) for k, p in top if self._is_stage(p.value.node)]
        staged_eval = bool(stage_pairs)  # SparseML evaluates as staged if any stage exists
        self.recipe.version = to_python(root.get("version").value.node) if root.get("version") else None
        if root.get(METADATA_KEY):
            self.recipe.metadata = to_python(root.get(METADATA_KEY).value.node)

        global_vars = [self.variable(k, p, None) for k, p in top
                       if not (staged_eval and (k, p) in stage_pairs)]
        self.apply_overrides(top, stage_pairs, global_vars, staged_eval)
        res = resolve(global_vars, path=self.path)
        self.diags.extend(self.with_variable_fixes(res.diagnostics, global_vars))
        self.recipe.variables = {v.name: v for v in global_vars}
        _record_dependency_uses(global_vars, self.recipe.variables)
        global_scope = _Scope(res.numeric, res.other, self.recipe.variables)

        if flat:
            if stage_pairs:
                names = ", ".join(f"`{k}`" for k, _ in stage_pairs)
                self.add(codes.MIXED_FORMS.diag(
                    f"the recipe has top-level modifier lists and stage {names}; SparseML "
                    "1.8 evaluates it as staged (so `eval()` in the top-level lists is not "
                    "evaluated) and then loads only the top-level lists, silently dropping "
                    "the stage", self.node_span(stage_pairs[0][1].key), path=self.path,
                    help="move the top-level modifiers into a stage, or the stage's into the "
                         "top-level lists"))
            self.collect(top, None, global_scope, evaluate_fields=not staged_eval)
        elif stage_pairs:
            for name, pair in stage_pairs:
                self.stage(name, pair, global_scope)
            self.check_stage_metadata()
        else:
            # no `modifiers` key and no stage: report modifier lists under other keys
            self.collect([(k, p) for k, p in top if isinstance(p.value.node, YSeq)], None,
                         global_scope, evaluate_fields=False, misplaced_only=True)

        if not self.recipe.modifiers and not self._explained_empty():
            misplaced = self._modifiers_after_front_matter()
            if misplaced is not None:
                self.add(misplaced)
                return
            self.add(codes.NO_MODIFIERS.diag(
                "no modifiers found: SparseML reads modifiers only from lists under keys "
                "whose name contains `modifiers` (e.g. `modifiers:`, `pruning_modifiers:`)",
                self.first_line_span(root), path=self.path,
                help="add a `modifiers:` list of `- !Modifier` items"))

    def _not_a_recipe(self) -> Diagnostic | None:
        """One RS016 instead of a baffling YAML or structure error, for a file that does not
        load and in whose YAML part (for a Markdown card: also anywhere else) nothing looks
        like a recipe."""
        src = self.src
        errors = [d for d in self.diags if d.severity.value == "error"]
        if not errors or all(d.code == codes.EMPTY_RECIPE.code for d in errors):
            return None
        if _RECIPE_MARK.search(src.yaml_text):
            return None
        name = os.path.basename(self.path) if self.path else "this text"
        root = self.recipe.doc.root if self.recipe.doc is not None else None
        if isinstance(root, YScalar) and src.form != "md" and \
                name.lower().endswith((".yaml", ".yml")):
            return None  # a YAML file holding one value: RS106 says that plainly
        if src.form == "md":
            top = not src.text[:src.start].rstrip("-+ \t").strip() if src.end > src.start \
                else False
            if _RECIPE_MARK.search(src.text) and (top or src.end == src.start):
                return None  # a card with a recipe in the wrong place: RS104/RS006 say so
            if src.end > src.start:
                first, col = src.position(src.start)
                last = src.position(src.end)[0]
                where = (f"SparseML reads a Markdown file only between its first `---` line "
                         f"and the next one (here lines {first}-{last}, not a recipe)")
                opening = src.line_text(first)
                span = Span(first, 1, first, max(2, len(opening.rstrip()) + 1))
            else:
                where = "it has no `---` front matter, the only part of a card SparseML reads"
                span = self._first_line_span()
        else:
            where = "nothing in it is a `modifiers:` list or a `!...Modifier` tag"
            span = self._first_line_span()
        return codes.NOT_A_RECIPE.diag(
            f"`{name}` is not a SparseML recipe: {where}", span, path=self.path,
            help="pass a recipe: a `.yaml` file with a `modifiers:` list of `- !...Modifier` "
                 "items, or a `.md` card with that YAML in a `---` front matter at the top")

    def _first_line_span(self) -> Span:
        text = self.src.text
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.strip():
                col = len(line) - len(line.lstrip()) + 1
                return Span(i + 1, col, i + 1, len(line.rstrip()) + 1)
        return Span(1, 1, 1, 2)

    def _modifiers_after_front_matter(self) -> Diagnostic | None:
        """A recipe card whose `modifiers:` comes after its front matter (a Jekyll-style
        `---`/`layout:`/`---` header): SparseML reads only the front matter."""
        src = self.src
        if src.form not in ("md", "text") or src.end >= len(src.text) or src.start == src.end:
            return None
        after = src.end + 3  # past the closing delimiter
        m = _MODIFIERS_KEY.search(src.text, after)
        if m is None:
            return None
        key = m.group(1)
        key_span = src.file_span(m.start(1), m.end(1))
        first = src.position(src.start)[0]
        last, col = src.position(src.end)
        front = Span(first, 1, last, col + 3)
        return codes.NO_MODIFIERS.diag(
            f"SparseML reads a recipe card only between its first two `---` lines (lines "
            f"{first}-{last} here, without modifiers); `{key}:` on line {key_span.line} comes "
            "after them and is not read", key_span, path=self.path,
            related=[Related(front, "the front matter SparseML reads")],
            help=f"move `{key}:` and its list into the front matter, before the `---` on "
                 f"line {last}")

    def _explained_empty(self) -> bool:
        return any(d.code in (codes.MODIFIER_OUTSIDE_LIST.code, codes.STAGED_UNSUPPORTED.code)
                   for d in self.diags)

    @staticmethod
    def _is_stage(node: YNode) -> bool:
        return (isinstance(node, YMap) and node.custom_tag is None
                and any(isinstance(k, str) and "modifiers" in k for k in node.keys()))

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
        self.add(codes.STAGED_UNSUPPORTED.diag(
            f"this is a new-style stage recipe ({shown} under `{first.key.value}`, as used by "
            "sparseml.transformers / llm-compressor); recipe-studio reads classic SparseML "
            "recipes (`- !Modifier` lists) and does not support this form yet",
            self.node_span(first.key), path=self.path,
            help="classic ScheduledModifierManager finds no modifiers in it; load it with "
                 "sparseml.core's Recipe or llm-compressor"))
        return not classic

    # -- variables ---------------------------------------------------------------------
    def variable(self, name: str, pair: Any, stage: str | None) -> Variable:
        ref: YRef = pair.value
        v = Variable(name=name, stage=stage, key_span=self.node_span(pair.key),
                     value_span=self.span(ref.start, ref.end),
                     raw=to_python(ref.node, self._py), alias=ref.alias)
        if ref.alias is None:
            self._var_refs[id(v)] = ref
        if ref.node.anchor:
            self.anchor_vars.setdefault(ref.node.anchor, []).append(v)
        if ref.alias:
            for src in self.anchor_vars.get(ref.alias, ()):
                src.uses.append(v.value_span)
        return v

    def apply_overrides(self, top: list[tuple[str, Any]], stage_pairs: list[tuple[str, Any]],
                        global_vars: list[Variable], staged: bool) -> None:
        if not self.overrides:
            return
        by_name = {v.name: v for v in global_vars}
        for ov in self.overrides:
            found = False
            if not staged:
                v = by_name.get(ov.name)
                if v is not None and not _is_modifier_list(_pair_node(top, ov.name)):
                    found = True
                    v.raw, v.overridden = ov.value, True
            else:
                v = by_name.get(ov.name)
                if v is not None and not isinstance(_pair_node(top, ov.name), YMap):
                    found = True
                    v.raw, v.overridden = ov.value, True
                # SparseML also overrides the key inside every top-level mapping
                for key, pair in top:
                    node = pair.value.node
                    if isinstance(node, YMap) and node.custom_tag is None:
                        sub = node.get(ov.name)
                        if sub is not None and not _is_modifier_list(sub.value.node):
                            found = True  # applied when the stage's variables are built
            if found:
                self.recipe.overrides[ov.name] = ov.value
            else:
                names = [k for k, _ in top]
                close = difflib.get_close_matches(ov.name, names, n=1, cutoff=0.6)
                self.add(codes.UNKNOWN_OVERRIDE.diag(
                    f"`{ov.origin}` sets `{ov.name}`, but the recipe has no such variable",
                    self.span(0, 0), path=self.path,
                    help=f"did you mean `{close[0]}`?" if close else
                    "overrides can only change variables the recipe defines"))

    # -- stages ------------------------------------------------------------------------
    def stage(self, name: str, pair: Any, global_scope: _Scope) -> None:
        node: YMap = pair.value.node
        stage = Stage(name=name, span=self.node_span(pair.key))
        stage_vars = []
        for key, p in node.entries():
            if not isinstance(key, str):
                continue
            v = self.variable(key, p, name)
            if key in self.recipe.overrides and not _is_modifier_list(p.value.node):
                v.raw, v.overridden = self.recipe.overrides[key], True
            stage_vars.append(v)
        stage.has_metadata = node.get(METADATA_KEY) is not None
        res = resolve(stage_vars, path=self.path, globals_=self.recipe.variables)
        self.diags.extend(self.with_variable_fixes(res.diagnostics, stage_vars))
        stage.variables = {v.name: v for v in stage_vars}
        _record_dependency_uses(stage_vars, {**self.recipe.variables, **stage.variables})
        numeric = {**{k: v for k, v in global_scope.numeric.items() if k not in res.numeric},
                   **res.numeric}
        other = {**{k: v for k, v in global_scope.other.items() if k not in res.other},
                 **res.other}
        scope = _Scope(numeric, other, {**self.recipe.variables, **stage.variables})
        first = len(self.recipe.modifiers)
        self.collect([(k, p) for k, p in node.entries() if isinstance(k, str)], name, scope,
                     evaluate_fields=True)
        stage.modifiers = list(range(first, len(self.recipe.modifiers)))
        self.recipe.stages.append(stage)

    def check_stage_metadata(self) -> None:
        stages = self.recipe.stages
        with_meta = [s for s in stages if s.has_metadata]
        if with_meta and len(with_meta) != len(stages):
            missing = [s for s in stages if not s.has_metadata]
            self.add(codes.STAGE_METADATA.diag(
                f"stage `{missing[0].name}` has no `__metadata__` but stage "
                f"`{with_meta[0].name}` has; SparseML requires all stages or none to have it",
                missing[0].span, path=self.path,
                related=[Related(with_meta[0].span, "this stage has `__metadata__`")],
                help="add `__metadata__:` to every stage or remove it from all"))

    # -- modifiers ---------------------------------------------------------------------
    def collect(self, pairs: list[tuple[str, Any]], stage: str | None, scope: _Scope, *,
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
                self.modifier(node, pair.value, key, stage, scope,
                              evaluate_fields=evaluate_fields and "modifiers" in key)
            elif isinstance(node, YSeq) and any(is_modifier_node(i.node) for i in node.items):
                close = difflib.get_close_matches(key, ["modifiers", "training_modifiers",
                                                        "pruning_modifiers",
                                                        "quantization_modifiers"], n=1,
                                                  cutoff=0.75)
                taken = {k for k, _ in pairs}
                fix = self.rename_fix(pair.key.start, pair.key.end, key, close[0],
                                      what="key") \
                    if close and close[0] not in taken else None
                self.add(codes.MODIFIER_OUTSIDE_LIST.diag(
                    f"modifiers listed under `{key}`, a key without `modifiers` in its name; "
                    "SparseML only reads modifier lists under keys containing `modifiers`",
                    self.node_span(pair.key), path=self.path,
                    help=f"did you mean `{close[0]}`?" if close else
                    f"rename `{key}` to e.g. `{key}_modifiers`", fix=fix))

    def list_item(self, item: YRef, group: str, stage: str | None, scope: _Scope, *,
                  evaluate_fields: bool) -> None:
        if is_modifier_node(item.node):
            self.modifier(item.node, item, group, stage, scope, evaluate_fields=evaluate_fields)
            return
        node = item.node
        what = ("a mapping without a `!Modifier` tag" if isinstance(node, YMap) else
                f"the value {as_written(to_python(node))}" if isinstance(node, YScalar) else "a list")
        hint = "start the item with a tag such as `- !GMPruningModifier`"
        if isinstance(node, YMap) and len(node.pairs) == 1 and isinstance(node.pairs[0].key, YScalar):
            k = node.pairs[0].key.value
            if isinstance(k, str) and catalog.model_for(catalog.normalize_tag(k), ()) is not None:
                hint = f"write the tag form `- !{catalog.normalize_tag(k)}` instead of `{k}:`"
        self.add(codes.NOT_A_MODIFIER.diag(
            f"item of `{group}` is {what}, not a modifier; SparseML accepts it at load and "
            "fails later (at modify or when reading `max_epochs`)",
            self.span(item.start, max(item.start + 1, _trimmed_end(
                self.src.yaml_text, item.start, min(item.end, node.end)))),
            path=self.path, help=hint))

    def root_modifier(self, root: YNode) -> None:
        """A document that is a single tagged modifier (SparseML loads it as a list of one).

        SparseML evaluates its fields as if they were top-level variables.
        """
        scope = _Scope({}, {}, {})
        if isinstance(root, YMap):
            fields = [self.variable(k, p, None) for k, p in root.entries() if isinstance(k, str)]
            res = resolve(fields, path=self.path)
            self.diags.extend(self.with_variable_fixes(res.diagnostics, fields))
            scope = _Scope(res.numeric, res.other, {})
        self.modifier(root, YRef(root, root.start, root.end), "<root>", None, scope,
                      evaluate_fields=isinstance(root, YMap))

    def modifier(self, node: YNode, ref: YRef, group: str, stage: str | None, scope: _Scope,
                 *, evaluate_fields: bool) -> None:
        tag = node.custom_tag or ""
        written = tag[1:] if tag.startswith("!") else tag
        name = catalog.normalize_tag(written)
        tag_start = node.tag_start if node.tag_start >= 0 else node.start
        tag_span = self.span(tag_start, tag_start + len(tag))
        entry = ModifierEntry(index=len(self.recipe.modifiers), tag=written, type=name,
                              group=group, stage=stage, span=self.node_span(node),
                              tag_span=tag_span, node=node)
        self.recipe.modifiers.append(entry)
        failed: set[FieldPath] = set()
        args: dict[Any, Any] = {}
        if isinstance(node, YMap):
            for key, pair in node.entries():
                entry.raw_args[key] = to_python(pair.value.node, self._py)
                if not isinstance(key, str):
                    self.add(codes.INVALID_TYPE.diag(
                        f"field name {as_written(key)} of `!{name}` is {type_name(key)}; field names "
                        "must be strings", self.node_span(pair.key), path=self.path))
                    failed.add((key,))
                    continue
                value = self.field_value(entry, pair.value, (key,), (pair.key.start, pair.key.end),
                                         scope, evaluate_fields, failed)
                if key in DROPPED_FIELDS:
                    continue
                args[key] = value
        elif isinstance(node, YSeq):
            self.add(codes.INVALID_TYPE.diag(
                f"`!{name}` is followed by a list; a modifier's fields must be a mapping",
                self.node_span(node), path=self.path))
            return
        entry.args = args
        model = catalog.model_for(name, [k for k in args if isinstance(k, str)])
        if model is None:
            suggestion = _suggest_tag(name)
            fix = None
            if suggestion and tag.endswith(name):  # keep a `pytorch.` prefix as written
                at = tag_start + len(tag) - len(name)
                fix = self.rename_fix(at, at + len(name), name, suggestion, what="modifier")
            self.add(codes.UNKNOWN_MODIFIER.diag(
                f"unknown modifier `!{name}`: SparseML 1.8 has no PyTorch modifier of that name",
                tag_span, path=self.path,
                help=f"did you mean `!{suggestion}`?" if suggestion else
                "run `recipe-studio rule RS101` for the list of modifiers", fix=fix))
            return
        try:
            entry.spec = model.model_validate(args)
        except ValidationError as exc:
            self.validation_errors(entry, model, exc, failed)
            self.partial_schedule_check(entry, model, args, exc, failed)
            entry.partial = partial.build(model, args, exc.errors(include_url=False), failed)

    def field_value(self, entry: ModifierEntry, ref: YRef, path: FieldPath,
                    key: tuple[int, int] | None, scope: _Scope, evaluate_fields: bool,
                    failed: set[FieldPath]) -> Any:
        node = ref.node
        site = FieldSite(self.src, key, (ref.start, ref.end), node=node, alias=ref.alias)
        entry.fields[path] = site
        if ref.alias:
            users = self.anchor_vars.get(ref.alias, ())
            site.variables = tuple(v.name for v in users)
            for v in users:
                v.uses.append(site.value_span)
        if isinstance(node, YSeq):
            return [self.field_value(entry, item, (*path, i), None, scope, evaluate_fields,
                                     failed) for i, item in enumerate(node.items)]
        if isinstance(node, YMap):
            out: dict[Any, Any] = {}
            for key, pair in node.entries():
                out[key] = self.field_value(entry, pair.value, (*path, key),
                                            (pair.key.start, pair.key.end), scope,
                                            evaluate_fields, failed)
            return out
        assert isinstance(node, YScalar)
        value = node.value
        body = eval_body(value) if evaluate_fields else None
        if body is None:
            return value
        site.expression = body
        where = f"`{_path_text(path)}` of `!{entry.type}`"
        if body in scope.other:
            site.variables = (body,)
            self._use(scope, body, site.value_span)
            return scope.other[body]
        for n in names_in(body):  # a use even when the expression fails
            self._use(scope, n, site.value_span)
        try:
            ev = evaluate(body, scope.numeric)
        except UnknownName as e:
            failed.add(path[:1])
            self.add(self._unknown_name(e, where, site, scope))
            return value
        except EvalError as e:
            failed.add(path[:1])
            fix = self.name_fix(node, *e.rename, what="function") \
                if e.rename and not ref.alias else None
            self.add(e.code.diag(f"{where}: {e.message}", site.value_span, help=e.help,
                                 path=self.path, fix=fix))
            return value
        site.variables = tuple(ev.names)
        self.diags.extend(eval_notes(ev, site.value_span, where, self.path))
        return ev.value

    def _use(self, scope: _Scope, name: str, span: Span) -> None:
        v = scope.variables.get(name)
        if v is not None:
            v.uses.append(span)

    def _unknown_name(self, e: UnknownName, where: str, site: FieldSite,
                      scope: _Scope) -> Diagnostic:
        span = site.value_span
        v = scope.variables.get(e.name)
        if v is not None and v.failed:
            return codes.UNDEFINED_VARIABLE.diag(
                f"{where} uses `{e.name}`, which could not be evaluated", span, path=self.path,
                related=[Related(v.value_span, f"`{e.name}` is defined here")])
        if v is not None and e.name in scope.other:
            return codes.EVAL_NOT_NUMBER.diag(
                f"{where} uses `{e.name}` in an expression, but `{e.name}` is not a number "
                f"({type_name(scope.other[e.name])})", span, path=self.path,
                related=[Related(v.value_span, f"`{e.name}` is defined here")],
                help=f"a non-numeric variable can only be used alone: `eval({e.name})`")
        known = list(scope.numeric) + [k for k in scope.other if k not in scope.numeric]
        close = difflib.get_close_matches(e.name, known, n=1, cutoff=0.6)
        fix = self.name_fix(site.node, e.name, close[0]) \
            if close and site.node is not None and not site.alias else None
        return codes.UNDEFINED_VARIABLE.diag(
            f"{where} uses `{e.name}`, which is not defined", span, path=self.path,
            help=f"did you mean `{close[0]}`?" if close else
            f"define `{e.name}` at the top of the recipe", fix=fix)

    # -- pydantic errors → diagnostics -------------------------------------------------
    def validation_errors(self, entry: ModifierEntry, model: type[ModifierSpec],
                          exc: ValidationError, failed: set[FieldPath]) -> None:
        errors = exc.errors(include_url=False)
        unknown = [e["loc"][0] for e in errors if e["type"] == "extra_forbidden" and e["loc"]]
        missing = [e["loc"][0] for e in errors if e["type"] == "missing" and e["loc"]]
        fields = list(model.model_fields)
        # a misspelt field shows up as unknown + missing: report it once, as a typo
        typo_of: dict[Any, str] = {}
        for u in unknown:
            if isinstance(u, str):
                close = difflib.get_close_matches(u, fields, n=1, cutoff=0.6)
                if close:
                    typo_of[u] = close[0]
        typo_targets = set(typo_of.values())
        seen: set[Any] = set()
        for err in errors:
            kind = err["type"]
            loc = tuple(err["loc"])
            ctx = err.get("ctx") or {}
            fname = ctx.get("field") or (loc[0] if loc else None)
            path = _clean_loc(loc) or ((fname,) if fname else ())
            if path[:1] in failed:
                continue
            dedupe = (kind if kind in ("extra_forbidden", "missing") else "value", path[:1])
            if dedupe in seen:
                continue
            seen.add(dedupe)
            if kind == "extra_forbidden":
                typo = typo_of.get(loc[0])
                # safe: the only way to load (the one misspelling of a missing required
                # field); unsafe: an optional field would start to take effect
                safe = typo in missing and list(typo_of.values()).count(typo) == 1
                self.add(self._unknown_field(entry, model, loc[0], typo, safe=safe))
            elif kind == "missing":
                if loc[0] in typo_targets:
                    continue
                desc = model.model_fields[loc[0]].description if loc[0] in model.model_fields else None
                self.add(codes.MISSING_FIELD.diag(
                    f"`!{entry.type}` is missing the required field `{loc[0]}`",
                    entry.tag_span, path=self.path,
                    help=f"add `{loc[0]}:`" + (f" ({desc})" if desc else "")))
            else:
                self.add(self._value_error(entry, kind, err, path, ctx))

    def partial_schedule_check(self, entry: ModifierEntry, model: type[ModifierSpec],
                               args: dict[Any, Any], exc: ValidationError,
                               failed: set[FieldPath]) -> None:
        """Report an impossible schedule even when other fields failed (pydantic skips the
        model-level check then), so that every problem shows at once."""
        from pydantic_core import PydanticCustomError

        from recipe_studio.models.base import ScheduledSpec, check_schedule_values

        if not issubclass(model, ScheduledSpec):
            return
        touched = {tuple(e["loc"][:1]) for e in exc.errors()} | failed
        if any(e["type"] == "rs_schedule" for e in exc.errors()) or \
                {("start_epoch",), ("end_epoch",)} & touched:
            return
        fields = model.model_fields
        try:
            start = float(args.get("start_epoch", fields["start_epoch"].default))
            end = args.get("end_epoch", fields["end_epoch"].default if "end_epoch" in fields
                           else -1.0)
            check_schedule_values(model.tag, start, end, model.end_rule,
                                  min_end=getattr(model, "min_end", -1.0))
        except PydanticCustomError as e:
            field = (e.context or {}).get("field", "end_epoch")
            self.add(codes.INVALID_SCHEDULE.diag(f"`!{entry.type}`: {e.message()}",
                                                 entry.value_span(field), path=self.path))
        except (TypeError, ValueError, KeyError):
            return

    def _unknown_field(self, entry: ModifierEntry, model: type[ModifierSpec], name: Any,
                       typo: str | None, *, safe: bool = False) -> Diagnostic:
        site = entry.fields.get((name,))
        span = site.key_span if site and site.key_span else entry.tag_span
        help_ = f"did you mean `{typo}`?" if typo else None
        fix = None
        if typo and site is not None and site.key_offsets is not None and \
                typo not in entry.raw_args and isinstance(name, str):
            fix = self.rename_fix(*site.key_offsets, name, typo, safe=safe, what="field")
        other = catalog.other_form_fields(model) if hasattr(catalog, "other_form_fields") else {}
        message = f"unknown field `{name}` for `!{entry.type}`"
        always_global = _ALWAYS_GLOBAL.get(model.tag)
        if name == "global_sparsity" and always_global:
            value = entry.raw_args.get(name)
            message = (f"unknown field `{name}`: `!{model.tag}` always prunes globally (it is "
                       f"`!{always_global}` with `global_sparsity: true`)")
            local = value is False or value in ("false", "False", 0)
            help_ = (f"to prune each layer to its own sparsity use `!{always_global}`"
                     if local else "delete the line")
            fix = self._delete_line_fix(site, safe=not local)
            return codes.UNKNOWN_FIELD.diag(message, span, path=self.path, help=help_, fix=fix)
        if name in other:
            message += f" ({other[name]})"
        elif not typo:
            allowed = ", ".join(f"`{f}`" for f in model.model_fields)
            help_ = f"`!{entry.type}` accepts {allowed}"
        return codes.UNKNOWN_FIELD.diag(message, span, path=self.path, help=help_, fix=fix)

    def _delete_line_fix(self, site: FieldSite | None, *, safe: bool) -> Fix | None:
        """Deleting a block-style `key: value` line (None in flow style or with other text
        on the line)."""
        if site is None or site._key is None or site.node is None:
            return None
        text = self.src.text
        key_start = self.src.start + site._key[0]
        value_end = self.src.start + _trimmed_end(self.src.yaml_text, site._value[0],
                                                  site._value[1])
        line_start = text.rfind("\n", 0, key_start) + 1
        line_end = text.find("\n", value_end)
        line_end = len(text) if line_end < 0 else line_end
        if text[line_start:key_start].strip() or \
                text[value_end:line_end].strip() and not text[value_end:line_end].strip().startswith("#"):
            return None
        if text.count("\n", key_start, value_end):
            return None
        return Fix("delete the line", (Edit(line_start, min(line_end + 1, len(text)), ""),),
                   safe=safe)

    def _value_error(self, entry: ModifierEntry, kind: str, err: Mapping[str, Any],
                     path: FieldPath, ctx: Mapping[str, Any]) -> Diagnostic:
        span = entry.tag_span
        site: FieldSite | None = None
        for n in range(len(path), 0, -1):
            site = entry.fields.get(path[:n])
            if site is not None:
                span = site.value_span
                break
        code = _ERROR_CODES.get(kind, codes.INVALID_TYPE)
        if kind.startswith("rs_"):
            message = err["msg"]
        else:
            message = _translate(kind, err, path)
        help_ = None
        suggestion: str | None = None
        if kind == "rs_params" and isinstance(ctx.get("value"), str):
            close = difflib.get_close_matches(ctx["value"].upper(), list(PARAM_TOKENS), n=1,
                                              cutoff=0.6)
            help_ = (f"did you mean `{close[0]}`?" if close else
                     f"write a list: `[{ctx['value']}]`")
            suggestion = close[0] if close else None
        elif kind == "literal_error" and isinstance(err.get("input"), str):
            expected = [x.strip(" '") for x in
                        str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
            close = difflib.get_close_matches(err["input"], expected, n=1, cutoff=0.6)
            if close:
                help_ = f"did you mean `{close[0]}`?"
                suggestion = close[0]
        elif ctx.get("help"):
            help_ = str(ctx["help"])
            if isinstance(ctx.get("suggestion"), str):
                suggestion = ctx["suggestion"]
        fix = None
        written = err.get("input")
        if suggestion and isinstance(written, str) and site is not None and \
                isinstance(site.node, YScalar) and site.node.value == written and \
                not site.alias and site.expression is None and not site.variables:
            fix = self.rename_fix(site.node.start, site.node.end, written, suggestion,
                                  what="value")
        return code.diag(f"`!{entry.type}`: {message}" if not message.startswith("`!") else message,
                         span, path=self.path, help=help_, fix=fix)


#: modifiers that are always global, and the per-layer modifier of the same family
_ALWAYS_GLOBAL = {"GlobalMagnitudePruningModifier": "MagnitudePruningModifier"}

#: what every recipe has (the conformance corpus was collected with the first three)
_RECIPE_MARK = re.compile(r"!\w*Modifier|^\s*\w*Modifier:|Modifier: \{|\w*modifiers\s*:",
                          re.M)

#: a key with `modifiers` in its name at the start of a line (after a card's front matter)
_MODIFIERS_KEY = re.compile(r"^[ \t]*([A-Za-z0-9_]*modifiers[A-Za-z0-9_]*)[ \t]*:", re.M)


def _trimmed_end(text: str, start: int, end: int) -> int:
    """A node's end without the blank lines and comment lines PyYAML counts into a block
    collection (its end mark is where the next token starts)."""
    end = min(end, len(text))
    while end > start:
        stripped = text[start:end].rstrip()
        end = start + len(stripped)
        last = stripped.rfind("\n")
        if last >= 0 and stripped[last + 1:].lstrip().startswith("#"):
            end = start + last
            continue
        break
    return end


_ERROR_CODES = {
    "rs_type": codes.INVALID_TYPE,
    "rs_range": codes.OUT_OF_RANGE,
    "rs_choice": codes.INVALID_CHOICE,
    "rs_schedule": codes.INVALID_SCHEDULE,
    "rs_params": codes.INVALID_PARAMS,
    "rs_missing": codes.MISSING_FIELD,
    "rs_unknown": codes.UNKNOWN_FIELD,
    "literal_error": codes.INVALID_CHOICE,
    "enum": codes.INVALID_CHOICE,
    "greater_than": codes.OUT_OF_RANGE,
    "greater_than_equal": codes.OUT_OF_RANGE,
    "less_than": codes.OUT_OF_RANGE,
    "less_than_equal": codes.OUT_OF_RANGE,
}

_EXPECTS = {
    "float_type": "a number", "float_parsing": "a number", "int_type": "an integer",
    "int_parsing": "an integer", "int_from_float": "an integer", "bool_type": "a boolean",
    "bool_parsing": "a boolean", "string_type": "a string", "list_type": "a list",
    "dict_type": "a mapping", "tuple_type": "a list", "none_required": "null",
    "finite_number": "a finite number", "model_type": "a mapping", "model_attributes_type":
    "a mapping", "is_instance_of": "a value of another type",
}


def _translate(kind: str, err: Mapping[str, Any], path: FieldPath) -> str:
    """Pydantic's built-in error types, in our words (never its raw text)."""
    name = _path_text(path) or "value"
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        return f"`{name}` must be one of {ctx.get('expected')}, got {as_written(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "?")
        rel = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
               "less_than_equal": "<="}[kind]
        return f"`{name}` must be {rel} {bound}, got {as_written(value)}"
    expected = _EXPECTS.get(kind, "another type of value")
    return f"`{name}` must be {expected}, got {type_name(value)} {as_written(value)}"


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch and function labels from an error location."""
    out = []
    for part in loc:
        if isinstance(part, str) and (part.startswith(("function-", "union[", "literal[",
                                                        "lax-or-strict", "tagged-union"))
                                      or part in ("float", "int", "str", "bool", "list", "dict")
                                      or "[" in part):
            continue
        out.append(part)
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _suggest_tag(name: str) -> str | None:
    return catalog.suggest_tag(name)


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


def validate(
    recipe: str | os.PathLike[str] | Source,
    *,
    overrides: Iterable[Override] | Mapping[str, Any] = (),
    path: str | None = None,
) -> list[Diagnostic]:
    """Every problem SparseML 1.8 would hit loading this recipe (and a few it would not),
    sorted by position. An empty list, or one without errors, means it loads."""
    return load(recipe, overrides=overrides, path=path).diagnostics
