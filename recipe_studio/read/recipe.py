"""The loaded recipe: typed modifiers, with their source positions kept beside them.

`Recipe` is what :func:`recipe_studio.read.load` returns. The modifier models
(:mod:`recipe_studio.models`) are pure descriptions of the YAML; where each field was
written, which variable or anchor it came from, and which diagnostics the recipe has live
here, next to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from recipe_studio.diagnostics import Diagnostic, Severity, Span, has_errors
from recipe_studio.models.base import ModifierSpec
from recipe_studio.read.rewrite import TextTag
from recipe_studio.read.source import Source
from recipe_studio.read.variables import Variable
from recipe_studio.read.yamltree import YamlDoc, YNode

M = TypeVar("M", bound=ModifierSpec)

#: a path into a modifier's arguments: ("end_epoch",), ("lr_kwargs", "milestones", 1)
FieldPath = tuple[Any, ...]


def path_text(path: FieldPath) -> str:
    """A field path as it is written in messages: `lr_kwargs.milestones[1]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


class FieldSite:
    """Where one (possibly nested) modifier argument was written and where its value came from.

    Spans are computed on first use from character offsets (most are never needed).
    """

    __slots__ = ("_source", "_key", "_value", "_key_span", "_value_span", "node", "alias",
                 "expression", "variables")

    def __init__(self, source: Source, key: tuple[int, int] | None, value: tuple[int, int],
                 node: YNode | None = None, alias: str | None = None,
                 expression: str | None = None, variables: tuple[str, ...] = ()):
        self._source = source
        self._key = key
        self._value = value
        self._key_span: Span | None = None
        self._value_span: Span | None = None
        #: the YAML node holding the value (for edits)
        self.node = node
        #: the value was written as an alias of this anchor
        self.alias = alias
        #: the text inside eval(...), when the value was an expression
        self.expression = expression
        #: variables the value came from (names read by the expression or substituted)
        self.variables = variables

    @property
    def key_span(self) -> Span | None:
        if self._key is None:
            return None
        if self._key_span is None:
            self._key_span = self._source.span(*self._key)
        return self._key_span

    @property
    def value_span(self) -> Span:
        if self._value_span is None:
            self._value_span = self._source.span(*self._value)
        return self._value_span

    @property
    def key_offsets(self) -> tuple[int, int] | None:
        """0-based offsets of the key in the YAML part of the source (None for list items)."""
        return self._key

    @property
    def value_offsets(self) -> tuple[int, int]:
        """0-based offsets of the value in the YAML part of the source."""
        return self._value

    def __repr__(self) -> str:
        return (f"FieldSite(value_span={self.value_span}, alias={self.alias!r}, "
                f"expression={self.expression!r}, variables={self.variables!r})")


@dataclass
class ModifierEntry:
    """One modifier of the recipe, in document order."""

    index: int
    #: the tag as written, without `!` (e.g. `GMPruningModifier` or `pytorch.GMPruningModifier`)
    tag: str
    #: the SparseML class name (`pytorch.` stripped)
    type: str
    #: the top-level (or stage-level) key of the list it is in
    group: str
    stage: str | None
    span: Span
    tag_span: Span
    node: YNode
    #: arguments as SparseML's constructor receives them (evaluated; `log_types` removed)
    args: dict[Any, Any] = field(default_factory=dict)
    #: arguments as written (eval strings kept)
    raw_args: dict[Any, Any] = field(default_factory=dict)
    fields: dict[FieldPath, FieldSite] = field(default_factory=dict)
    #: the typed model; None when the tag is unknown or the arguments are invalid
    spec: ModifierSpec | None = None
    #: when the arguments are invalid: the fields that did validate, as a partial model
    #: (:mod:`recipe_studio.read.partial`; reading a field it lacks raises UnknownFieldValue)
    partial: ModifierSpec | None = None

    @property
    def ok(self) -> bool:
        return self.spec is not None

    @property
    def view(self) -> ModifierSpec | None:
        """What the lint rules read: the model, or the partial view of a modifier that
        failed to load (None when the tag is unknown or nothing validated)."""
        return self.spec if self.spec is not None else self.partial

    @property
    def line(self) -> int:
        return self.tag_span.line

    def site(self, *path: Any) -> FieldSite | None:
        return self.fields.get(tuple(path))

    def value_span(self, *path: Any) -> Span:
        """Span of a field's value, falling back to the key, then to the tag."""
        site = self.fields.get(tuple(path))
        if site is not None:
            return site.value_span
        return self.tag_span

    def key_span(self, *path: Any) -> Span:
        site = self.fields.get(tuple(path))
        if site is not None and site.key_span is not None:
            return site.key_span
        return self.tag_span


@dataclass
class Stage:
    """A stage of a classic staged recipe (`<stage>: {<x>_modifiers: [...], vars...}`)."""

    name: str
    span: Span
    variables: dict[str, Variable] = field(default_factory=dict)
    modifiers: list[int] = field(default_factory=list)
    has_metadata: bool = False


@dataclass
class Recipe:
    """A recipe as SparseML 1.8 would load it, with every problem found on the way."""

    source: Source | None
    doc: YamlDoc | None = None
    modifiers: list[ModifierEntry] = field(default_factory=list)
    #: top-level variables (for a staged recipe: the globals)
    variables: dict[str, Variable] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    version: Any = None
    metadata: Any = None
    #: the overrides that were applied (name -> value)
    overrides: dict[str, Any] = field(default_factory=dict)
    #: `!word`s SparseML's tag rewrite alters inside strings and comments
    text_tags: list[TextTag] = field(default_factory=list)
    #: a stage recipe (sparseml.core / llm-compressor): its stages and typed modifiers for the
    #: target library (`recipe_studio.read.stage`); None for a classic recipe
    stage_recipe: Any = None
    #: a Python script (`recipe_studio.read.python`): one Recipe per recipe the script builds
    #: (the rules run on each); `stage_recipe` then holds all their stages
    parts: list[Recipe] = field(default_factory=list)

    @property
    def path(self) -> str | None:
        return self.source.path if self.source else None

    @property
    def staged(self) -> bool:
        return bool(self.stages)

    @property
    def ok(self) -> bool:
        """No error-severity diagnostic: SparseML 1.8 loads this recipe."""
        return not has_errors(self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    def specs(self) -> list[ModifierSpec]:
        """The typed modifiers that validated, in document order."""
        return [m.spec for m in self.modifiers if m.spec is not None]

    def entry_of(self, spec: ModifierSpec) -> ModifierEntry | None:
        """The modifier whose model or partial view is `spec`."""
        return next((m for m in self.modifiers if m.spec is spec or m.partial is spec), None)

    def of_type(self, cls: type[M]) -> Iterator[tuple[ModifierEntry, M]]:
        """(entry, model) for every valid modifier that is an instance of `cls`."""
        for m in self.modifiers:
            if isinstance(m.spec, cls):
                yield m, m.spec

    def all_variables(self) -> Iterator[Variable]:
        yield from self.variables.values()
        for stage in self.stages:
            yield from stage.variables.values()

    def variable_values(self) -> dict[str, Any]:
        """Evaluated global variables (numbers resolved, other values as written)."""
        return {name: v.value for name, v in self.variables.items()}
