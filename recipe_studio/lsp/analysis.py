"""One analysed document: its text, the loaded recipe, the lint diagnostics, and lookups
from a (1-based, code-point) position to what is written there.

Pure Python (no pygls): the features build on :func:`analyze` and are testable alone.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Diagnostic, Severity, Span
from recipe_studio.read import detect
from recipe_studio.read.source import LineIndex, Source, SourceError, from_text

if TYPE_CHECKING:
    from recipe_studio.models.base import ModifierSpec
    from recipe_studio.read.recipe import FieldPath, FieldSite, ModifierEntry, Recipe
    from recipe_studio.schedule.timeline import Timeline
    from recipe_studio.read.variables import Variable

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONFIG_NAMES = (".recipe-studio.toml", "pyproject.toml")


def looks_like_recipe(text: str, path: str | None) -> bool:
    """True for documents worth linting: recipes (what directory discovery takes for one,
    :mod:`recipe_studio.read.detect`; a `modifiers:` key is enough, so that a recipe being
    started from scratch counts too), and files named like one. Other YAML or Markdown the
    editor opens (CI configs, READMEs) is left alone."""
    if path and "recipe" in os.path.basename(path).lower():
        return True
    return detect.looks_like_recipe(text)


def within(span: Span | None, line: int, column: int) -> bool:
    """`span` contains the position, its end included (a cursor just after a word)."""
    if span is None:
        return False
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def span_size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_column - span.column)


@dataclass
class Analysis:
    """The result of analysing one version of a document."""

    text: str
    path: str | None
    version: int | None = None
    source: Source | None = None
    recipe: Recipe | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: a configuration problem (reported once, linting continues with the defaults)
    config_error: str | None = None
    #: the document is not a recipe: no diagnostics are published for it
    ignored: bool = False
    #: seconds spent loading and linting
    elapsed: float = 0.0
    #: the configuration's modifier stubs (`recipe_studio.stubs`), active for hover/completion
    stubs: Any = None

    # -- text ----------------------------------------------------------------------------
    @cached_property
    def normalized(self) -> str:
        """The text with `\\n` newlines (what every offset refers to)."""
        if self.source is not None:
            return self.source.text
        return self.text.replace("\r\n", "\n").replace("\r", "\n")

    @cached_property
    def index(self) -> LineIndex:
        """The line index of :attr:`normalized` (the Source's own when there is one)."""
        if self.source is not None:
            return self.source.index
        return LineIndex(self.normalized)

    @property
    def lines(self) -> list[str]:
        return self.index.lines

    def line_text(self, line: int) -> str:
        """A 1-based line without its newline ('' beyond the end)."""
        return self.index.line_text(line)

    def offset(self, line: int, column: int) -> int:
        """0-based offset in :attr:`normalized` of a 1-based position."""
        return self.index.offset(line, column)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset in :attr:`normalized`."""
        return self.index.position(offset)

    def span_of(self, start: int, end: int) -> Span:
        """Span of two offsets of :attr:`normalized` (end exclusive; may be empty)."""
        a, b = self.position(start), self.position(end)
        return Span(a[0], a[1], b[0], b[1])

    def yaml_offset(self, line: int, column: int) -> int | None:
        """Offset in the YAML part (what the YAML tree's offsets refer to)."""
        if self.source is None:
            return None
        off = self.offset(line, column) - self.source.start
        if off < 0 or off > self.source.end - self.source.start:
            return None
        return off

    def file_span_of_yaml(self, start: int, end: int) -> Span:
        assert self.source is not None
        return self.span_of(self.source.start + start, self.source.start + end)

    def word_at(self, line: int, column: int) -> tuple[str, Span] | None:
        """The identifier under (or just before) the cursor."""
        text = self.line_text(line)
        for m in _IDENT.finditer(text):
            if m.start() + 1 <= column <= m.end() + 1:
                return m.group(), Span(line, m.start() + 1, line, m.end() + 1)
        return None

    # -- the recipe ----------------------------------------------------------------------
    @cached_property
    def timeline(self) -> Timeline | None:
        if self.recipe is None:
            return None
        from recipe_studio.schedule.timeline import timeline

        return timeline(self.recipe)

    @cached_property
    def phases(self) -> list[Any] | None:
        """Named phases of training (dense, pruning, recovery, QAT...) from the schedule
        engine, when it is available and the recipe simulates; else None."""
        if self.recipe is None:
            return None
        try:
            from recipe_studio.schedule.simulation import simulate

            return list(simulate(self.recipe, 1).phases())
        except Exception:  # no engine in this build, or a recipe it cannot simulate
            return None

    def modifiers(self) -> list[ModifierEntry]:
        return list(self.recipe.modifiers) if self.recipe is not None else []

    def variables(self) -> list[Variable]:
        return list(self.recipe.all_variables()) if self.recipe is not None else []

    def modifier_at(self, line: int, column: int) -> ModifierEntry | None:
        """The innermost modifier whose text contains the position."""
        best = None
        for entry in self.modifiers():
            if within(entry.span, line, column) or within(entry.tag_span, line, column):
                if best is None or span_size(entry.span) < span_size(best.span):
                    best = entry
        return best

    def site_at(self, line: int, column: int
                ) -> tuple[ModifierEntry, FieldPath, FieldSite, str] | None:
        """(modifier, field path, site, "key" | "value") of the innermost field written at
        the position."""
        entry = self.modifier_at(line, column)
        if entry is None:
            return None
        best: tuple[ModifierEntry, FieldPath, FieldSite, str] | None = None
        best_size: tuple[int, int] | None = None
        for path, site in entry.fields.items():
            for part, span in (("key", site.key_span), ("value", site.value_span)):
                if span is not None and within(span, line, column):
                    size = span_size(span)
                    if best_size is None or size <= best_size:
                        best, best_size = (entry, path, site, part), size
        return best

    def variable_at(self, line: int, column: int) -> tuple[Variable, str] | None:
        """(variable, "key" | "value") written at the position."""
        for v in self.variables():
            if within(v.key_span, line, column):
                return v, "key"
        best = None
        for v in self.variables():
            if within(v.value_span, line, column):
                if best is None or span_size(v.value_span) < span_size(best.value_span):
                    best = v
        return (best, "value") if best is not None else None

    def variable_named(self, name: str, line: int | None = None) -> Variable | None:
        """The variable `name` visible at `line`: the stage's own first, then the globals."""
        if self.recipe is None:
            return None
        if line is not None:
            for stage in self.recipe.stages:
                if name in stage.variables and self._in_stage(stage, line):
                    return stage.variables[name]
        v = self.recipe.variables.get(name)
        if v is not None:
            return v
        for stage in self.recipe.stages:
            if name in stage.variables:
                return stage.variables[name]
        return None

    def _in_stage(self, stage: Any, line: int) -> bool:
        """The line lies in the stage's block (from its key to the next top-level key)."""
        if line < stage.span.line:
            return False
        for n in range(stage.span.line + 1, line + 1):
            text = self.line_text(n)
            if text and not text[0].isspace() and not text.startswith("#"):
                return False
        return True

    def alias_at(self, line: int, column: int) -> tuple[str, Span] | None:
        """An alias `*name` token at the position."""
        off = self.yaml_offset(line, column)
        if off is None or self.recipe is None or self.recipe.doc is None:
            return None
        for name, start, end in self.recipe.doc.alias_uses:
            if start <= off <= end:
                return name, self.file_span_of_yaml(start, end)
        return None

    def anchor_definitions(self) -> dict[str, list[Span]]:
        """Every `&name` token (in document order), by anchor name."""
        out: dict[str, list[Span]] = {}
        if self.recipe is None or self.recipe.doc is None or self.source is None:
            return out
        text = self.source.yaml_text
        nodes: list[Any] = list(self.recipe.doc.anchors.values())
        seen = {id(n) for n in nodes}
        for m in self.modifiers():  # anchored nodes inside modifiers, if redefined
            for site in m.fields.values():
                if site.node is not None and site.node.anchor and id(site.node) not in seen:
                    seen.add(id(site.node))
                    nodes.append(site.node)
        for node in nodes:
            name = node.anchor
            if not name:
                continue
            token = "&" + name
            start = text.rfind(token, 0, node.start + len(token))
            if start < 0:
                continue
            out.setdefault(name, []).append(self.file_span_of_yaml(start, start + len(token)))
        for spans in out.values():
            spans.sort()
        return out

    def anchor_at(self, line: int, column: int) -> tuple[str, Span] | None:
        for name, spans in self.anchor_definitions().items():
            for span in spans:
                if within(span, line, column):
                    return name, span
        return None

    def alias_uses(self, name: str) -> list[Span]:
        if self.recipe is None or self.recipe.doc is None or self.source is None:
            return []
        return [self.file_span_of_yaml(s, e) for n, s, e in self.recipe.doc.alias_uses
                if n == name]

    def model_of(self, entry: ModifierEntry) -> type[ModifierSpec] | None:
        """The model SparseML would build for the modifier (even when its fields are bad)."""
        if entry.spec is not None:
            return type(entry.spec)
        from recipe_studio import stubs
        from recipe_studio.models import catalog

        with stubs.using(self.stubs):
            return catalog.model_for(entry.type, [k for k in entry.raw_args if isinstance(k, str)])

    def eval_sites(self) -> list[tuple[Span, str]]:
        """(value span, expression) of every `eval(...)`: modifier fields and variables."""
        out = []
        for m in self.modifiers():
            for site in m.fields.values():
                if site.expression is not None:
                    out.append((site.value_span, site.expression))
        for v in self.variables():
            if v.expression is not None:
                out.append((v.value_span, v.expression))
        return out

    def name_occurrences(self, name: str, span: Span) -> list[Span]:
        """Where `name` is written as an identifier inside the `eval(...)` at `span`."""
        start = self.offset(span.line, span.column)
        end = self.offset(span.end_line, span.end_column)
        text = self.normalized[start:end]
        open_ = text.find("eval(")
        if open_ < 0:
            return []
        out = []
        for m in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", text[open_ + 5:]):
            a = start + open_ + 5 + m.start()
            out.append(self.span_of(a, a + len(name)))
        return out


def analyze(text: str, path: str | None, *, version: int | None = None,
            force: bool = False) -> Analysis:
    """Load and lint a document as `recipe-studio lint` would lint the file at `path`
    (configuration discovered from the file's directory)."""
    from recipe_studio.lint.config import ConfigError
    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.read.load import load

    started = time.perf_counter()
    result = Analysis(text=text, path=path, version=version)
    if not force and not looks_like_recipe(text, path):
        result.ignored = True
        return result
    try:
        source = from_text(text, path=path)
    except SourceError as e:
        result.diagnostics = [e.diagnostic]
        result.elapsed = time.perf_counter() - started
        return result
    result.source = source
    settings = LintSettings()
    try:
        config = settings.config_for(path)
    except ConfigError as e:
        result.config_error = str(e)
        config = None
    if config is not None and config.modifier_stubs:
        from recipe_studio import stubs

        try:
            result.stubs = stubs.cached_catalogue(config.modifier_stubs)
        except stubs.CatalogueError as e:
            result.config_error = str(e)
    from recipe_studio.stubs import using

    with using(result.stubs):
        # a stage recipe is checked for the configuration's `target`, else the inferred one
        recipe = load(source, target=getattr(config, "target", None))
        result.recipe = recipe
        settings = LintSettings(config=config) if config is not None else \
            LintSettings(isolated=True)
        try:
            result.diagnostics = lint_recipe(recipe, settings)
        except ConfigError as e:  # a rule option problem surfaces while linting
            result.config_error = str(e)
            result.diagnostics = lint_recipe(recipe, LintSettings(isolated=True))
    if result.config_error:
        result.diagnostics.insert(0, Diagnostic(
            code="config", name="invalid-configuration", severity=Severity.ERROR,
            message=f"recipe-studio configuration: {result.config_error}; linting with the "
                    "default settings", span=Span(1, 1, 1, 1), path=path))
    result.elapsed = time.perf_counter() - started
    return result
