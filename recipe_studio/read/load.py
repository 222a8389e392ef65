"""Text → tree → variables → typed recipe, reporting every problem on the way.

This is SparseML 1.8's `ScheduledModifierManager.from_yaml` pipeline (sparseml-recipes.md
§1) re-done for diagnosis: the same file forms, YAML resolver, containers, variable and
`eval` rules and constructor checks, but every failure becomes a :class:`Diagnostic` with
the file position of the offending key or value, and loading continues so that all
problems are reported at once.

One load, in the order it runs: :func:`~recipe_studio.read.yamltree.parse_yaml` (the
positioned tree), :func:`~recipe_studio.read.rewrite.check` (SparseML's `!Tag` rewrite),
:class:`~recipe_studio.read.document.DocumentReader` (root, top-level keys, variables,
stages, modifier lists), :class:`~recipe_studio.read.fields.ModifierReader` (one modifier's
fields and values, its model; :mod:`~recipe_studio.read.pydantic_errors` words the model's
errors), then the manager's sort check and, for a file that is not a recipe at all,
:func:`~recipe_studio.read.detect.not_a_recipe`. :class:`_Loader` holds what they share.
"""

from __future__ import annotations

import os
from dataclasses import replace
from collections.abc import Iterable, Mapping
from typing import Any

from recipe_studio.read import codes, detect, rewrite
from recipe_studio.read import fixes
from recipe_studio.diagnostics import Diagnostic, Fix, Span, sort_diagnostics
from recipe_studio.read.document import METADATA_KEY, DocumentReader, manager_sort_diagnostics
from recipe_studio.read.fields import DROPPED_FIELDS, is_modifier_node
from recipe_studio.read.recipe import Recipe
from recipe_studio.read.source import Source, SourceError, from_text, read_source
from recipe_studio.read.variables import Override, Variable
from recipe_studio.read.yamltree import YNode, YRef, YScalar, parse_yaml, trimmed_end

__all__ = ["DROPPED_FIELDS", "METADATA_KEY", "is_modifier_node", "load", "validate"]


def load(
    recipe: str | os.PathLike[str] | Source,
    *,
    overrides: Iterable[Override] | Mapping[str, Any] = (),
    path: str | None = None,
    target: str | None = None,
    target_stage: str | None = None,
    stubs: Any = None,
) -> Recipe:
    """Load a recipe from a path, raw text (anything containing a newline) or a Source.

    `target` (`sparseml` or `llmcompressor`) is the library a stage recipe is checked
    against; without it the stage reader infers it (`recipe_studio.read.stage`).
    `target_stage` selects stages of a stage recipe as the libraries' `target_stage` does.
    `stubs` (a `recipe_studio.stubs.StubCatalogue`) makes the user's own modifiers known;
    without it, the catalogue active around the call (`stubs.using`), if any.

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
    from recipe_studio.stubs import using

    with using(stubs):
        if source.path and source.path.lower().endswith((".py", ".pyi")):
            from recipe_studio.read.python import load_python  # recipes built in a script

            return load_python(source, target=target)
        return _Loader(source, list(overrides), target, target_stage).run()


class _Loader:
    """The state one load shares: the source, the recipe being built, the diagnostics so
    far, anchors and the YAML → Python memo; position helpers and the did-you-mean fixes."""

    def __init__(self, source: Source, overrides: list[Override], target: str | None = None,
                 target_stage: str | None = None):
        self.src = source
        self.target = target
        self.target_stage = target_stage
        self.path = source.path
        self.overrides = overrides
        self.diags: list[Diagnostic] = list(source.notes)
        self.recipe = Recipe(source=source)
        #: anchor name -> variables whose value carries that anchor
        self.anchor_vars: dict[str, list[Variable]] = {}
        #: one to_python memo per document: variables and raw_args share converted values
        self.py_memo: dict[int, Any] = {}
        #: id(variable) -> where its value is written (for did-you-mean fixes)
        self.var_refs: dict[int, YRef] = {}

    # -- helpers -----------------------------------------------------------------------
    def span(self, start: int, end: int) -> Span:
        return self.src.span(start, end)

    def node_span(self, node: YNode) -> Span:
        return self.span(node.start, trimmed_end(self.src.yaml_text, node.start, node.end))

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
        typos = {v.value_span: v for v in variables if v.typo and id(v) in self.var_refs}
        if not typos:
            return diags
        out = []
        for d in diags:
            v = typos.get(d.span)
            if v is not None and d.fix is None and d.code in (
                    codes.UNDEFINED_VARIABLE.code, codes.UNSUPPORTED_EVAL.code) and \
                    v.typo and f"`{v.typo[1]}`" in (d.help or ""):
                what = "variable" if d.code == codes.UNDEFINED_VARIABLE.code else "function"
                fix = self.name_fix(self.var_refs[id(v)].node, *v.typo, what=what)
                if fix is not None:
                    d = replace(d, fix=fix)
            out.append(d)
        return out

    # -- pipeline ----------------------------------------------------------------------
    def run(self) -> Recipe:
        doc = parse_yaml(self.src)
        if detect.may_be_stage_recipe(self.src, doc.root):
            # imported only for stage recipes (it is ~15 ms of a cold start)
            from recipe_studio.read.stage import dispatch

            staged = dispatch(self.src, doc, target=self.target, target_stage=self.target_stage)
            if staged is not None:
                return staged
        self.recipe.doc = doc
        self.diags.extend(doc.diagnostics)
        if doc.root is not None:
            rewrite_diags, text_tags = rewrite.check(self.src, doc)
            self.diags.extend(rewrite_diags)
            self.recipe.text_tags = text_tags
        DocumentReader(self).read(doc.root)
        return self.finish()

    def finish(self) -> Recipe:
        self.diags.extend(manager_sort_diagnostics(self.recipe, self.path))
        doc = self.recipe.doc
        not_a_recipe = detect.not_a_recipe(
            self.src, self.diags, single_value=doc is not None and isinstance(doc.root, YScalar))
        if not_a_recipe is not None:
            self.diags = [not_a_recipe]
        self.recipe.diagnostics = sort_diagnostics(self.diags)
        for i, m in enumerate(self.recipe.modifiers):
            m.index = i
        return self.recipe


def validate(
    recipe: str | os.PathLike[str] | Source,
    *,
    overrides: Iterable[Override] | Mapping[str, Any] = (),
    path: str | None = None,
) -> list[Diagnostic]:
    """Every problem SparseML 1.8 would hit loading this recipe (and a few it would not),
    sorted by position. An empty list, or one without errors, means it loads."""
    return load(recipe, overrides=overrides, path=path).diagnostics
