"""A stage recipe as loaded: stages in order, their modifier groups, each modifier with its
typed model (for the target library) and the position of every key and value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from recipe_studio.diagnostics import Span
from recipe_studio.read.yamltree import YNode

#: a path into a modifier's arguments: ("config_groups", "group_0", "weights", "num_bits")
ArgPath = tuple[Any, ...]


@dataclass
class ArgSite:
    """Where one (possibly nested) argument was written."""

    key_span: Span | None
    value_span: Span
    node: YNode
    #: 0-based offsets of the key in the YAML part (for rename fixes)
    key_offsets: tuple[int, int] | None = None


@dataclass
class StageModifier:
    """One modifier entry (`Name: {args}`) of a `*_modifiers` group."""

    type: str
    stage: str
    group: str
    index: int
    key_span: Span
    span: Span
    #: arguments as written
    raw_args: Any = None
    #: arguments as the library's constructor receives them (SparseML: `eval` resolved)
    args: dict[Any, Any] = field(default_factory=dict)
    sites: dict[ArgPath, ArgSite] = field(default_factory=dict)
    #: the typed model; None when the name is unknown or the arguments are invalid
    spec: BaseModel | None = None

    @property
    def ok(self) -> bool:
        return self.spec is not None

    def value_span(self, *path: Any) -> Span:
        site = self.sites.get(tuple(path))
        return site.value_span if site is not None else self.key_span

    def key_span_of(self, *path: Any) -> Span:
        site = self.sites.get(tuple(path))
        return site.key_span if site is not None and site.key_span else self.key_span


@dataclass
class ModifierGroup:
    """A `<name>_modifiers:` mapping inside a stage."""

    key: str
    name: str
    span: Span
    modifiers: list[StageModifier] = field(default_factory=list)


@dataclass
class RecipeStage:
    """A `<name>_stage:` mapping (SparseML also: an entry of `stages:`)."""

    key: str
    #: the stage's name as the library computes it (`quant_stage` -> `quant`)
    name: str
    span: Span
    groups: list[ModifierGroup] = field(default_factory=list)
    run_type: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    #: SparseML read it from the `stages:` mapping (its name is its key, `_stage` included)
    listed: bool = False

    @property
    def modifiers(self) -> list[StageModifier]:
        return [m for g in self.groups for m in g.modifiers]


@dataclass
class StageRecipe:
    """What a stage recipe holds for its target library."""

    #: "sparseml" or "llmcompressor"
    target: str
    #: how the target was chosen: "option" (given), "inferred", "default" (nothing told)
    target_reason: str
    stages: list[RecipeStage] = field(default_factory=list)
    #: SparseML: top-level non-stage keys (variables), evaluated; llm-compressor: `args`
    variables: dict[str, Any] = field(default_factory=dict)
    variable_spans: dict[str, Span] = field(default_factory=dict)
    #: the stage selection, when one was given (`load(target_stage=...)`, `--stage`):
    #: llm-compressor 0.14 keeps the top-level keys that start with it, SparseML 1.8 the
    #: stage whose name (`quant` of `quant_stage`) is exactly it; `stages` holds the
    #: selected stages only
    target_stage: str | None = None
    #: every stage of the file before the selection, as (key, name) in file order
    all_stages: list[tuple[str, str]] = field(default_factory=list)

    @property
    def modifiers(self) -> list[StageModifier]:
        return [m for s in self.stages for m in s.modifiers]
