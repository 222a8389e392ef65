"""What a lint rule is, and what it gets to look at.

A rule is a module with a Markdown docstring (its documentation, in ruff's shape) and a
`RULE = Rule(...)` at the bottom whose `check(ctx)` *yields* diagnostics. Rules never read
files, print, or decide the final severity (configuration does).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Related, Severity, Span
from recipe_studio.lint.fix import rename_fix
from recipe_studio.schedule.timeline import Timeline, timeline

if TYPE_CHECKING:
    from recipe_studio.lint.modelinfo import ModelParams
    from recipe_studio.read.recipe import ModifierEntry, Recipe

Family = Literal["file", "structure", "values", "variables", "schedule", "pruning",
                 "quantization", "learning-rate", "model", "style"]

FAMILY_OF_PREFIX: dict[str, Family] = {
    "RS0": "file", "RS1": "structure", "RS2": "values", "RS3": "variables", "RS4": "schedule",
    "RS5": "pruning", "RS6": "quantization", "RS7": "learning-rate", "RS8": "model",
    "RS9": "style",
}

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead",
                     "SparseML behaviour")


@dataclass(frozen=True)
class Rule:
    """A diagnostic code with its documentation, and (for lint rules) its check."""

    code: str
    name: str
    severity: Severity
    doc: str
    check: Callable[[RuleContext], Iterable[Diagnostic]] | None = None
    #: "always" / "sometimes" / "never": whether a fix is offered
    fix: Literal["always", "sometimes", "never"] = "never"
    aliases: tuple[str, ...] = ()
    #: the rule needs `--model` (parameter names) to say anything
    needs_model: bool = False
    #: the rule needs `--steps-per-epoch`
    needs_steps: bool = False
    #: emitted by the loader (validate), not by a check
    from_loader: bool = False
    #: a pydantic model of the rule's options (`[tool.recipe-studio.rules.<name>]`)
    options: Any = None

    @property
    def family(self) -> Family:
        return FAMILY_OF_PREFIX.get(self.code[:3], "style")

    @property
    def summary(self) -> str:
        """The first sentence of "What it does" (or of the docstring)."""
        m = re.search(r"## What it does\s*\n(.+?)(?:\n\n|\n##|$)", self.doc, re.S)
        text = (m.group(1) if m else self.doc.strip().split("\n\n")[0]).strip()
        return " ".join(text.split())

    @property
    def title(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.name

    def sections(self) -> dict[str, str]:
        out = {}
        for m in re.finditer(r"^## (.+?)\s*\n(.*?)(?=^## |\Z)", self.doc, re.S | re.M):
            out[m.group(1).strip()] = m.group(2).strip()
        return out

    @property
    def url(self) -> str:
        return f"https://github.com/recipe-studio/recipe-studio/blob/main/docs/rules.md#{self.code.lower()}"


@dataclass
class RuleContext:
    """Everything a rule may look at: the loaded recipe and the derived schedule."""

    recipe: Recipe
    rule: Rule | None = None
    steps_per_epoch: int | None = None
    model: ModelParams | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: indexes of modifiers this run leaves out (a partial view lacked a field it read)
    skipped: frozenset[int] = frozenset()
    _of_types: dict[int, tuple[AbstractSet[str], list[ModifierEntry]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def timeline(self) -> Timeline:
        """The schedule of the modifiers rules see (partial views whose start and end are
        known included)."""
        return timeline(self.recipe, entries=list(self.valid()))

    @property
    def path(self) -> str | None:
        return self.recipe.path

    def valid(self) -> Iterator[ModifierEntry]:
        """The modifiers rules look at: every one with a model, or with the partial view
        of a modifier that failed to load (read `entry.view`, not `entry.spec`)."""
        return iter(self._valid)

    @cached_property
    def _valid(self) -> list[ModifierEntry]:
        # every rule asks, some several times: listed once per context (nothing changes
        # the recipe's modifiers while rules run; `without` makes a new context)
        return [m for m in self.recipe.modifiers
                if m.view is not None and m.index not in self.skipped]

    def valid_of(self, types: AbstractSet[str]) -> list[ModifierEntry]:
        """The modifiers of :meth:`valid` whose type is in `types`, listed once per context
        for each `types` (a family of the catalogue, asked by many rules)."""
        got = self._of_types.get(id(types))
        if got is None:
            # the set is kept beside its list, so that its id is not reused while cached
            got = self._of_types[id(types)] = (types, [m for m in self._valid
                                                       if m.type in types])
        return got[1]

    def without(self, skipped: Iterable[int]) -> RuleContext:
        """The same context without the given modifiers."""
        return RuleContext(recipe=self.recipe, rule=self.rule,
                           steps_per_epoch=self.steps_per_epoch, model=self.model,
                           options=self.options, skipped=frozenset(skipped))

    def diagnostic(self, at: Span, message: str, *, help: str | None = None,
                   related: Iterable[Related] = (), fix: Fix | None = None) -> Diagnostic:
        assert self.rule is not None
        return Diagnostic(code=self.rule.code, name=self.rule.name, severity=self.rule.severity,
                          message=message, span=at, path=self.path, help=help, fix=fix,
                          related=tuple(related))

    # -- fixes -------------------------------------------------------------------------
    def replace_value(self, entry: ModifierEntry, path: tuple[Any, ...], text: str,
                      message: str, *, safe: bool = True) -> Fix | None:
        """A fix replacing the written text of a scalar field value (not through an alias)."""
        site = entry.fields.get(path)
        src = self.recipe.source
        if site is None or src is None or site.node is None or site.alias:
            return None
        node = site.node
        start = src.start + node.start
        end = src.start + node.end
        return Fix(message, (Edit(start, end, text),), safe)

    def rename_value(self, entry: ModifierEntry, path: tuple[Any, ...], old: str, new: str,
                     what: str = "value") -> Fix | None:
        """A did-you-mean fix: the scalar `old` written at `path` becomes `new` (same
        quoting; unsafe, preferred in the language server)."""
        site = entry.fields.get(path)
        src = self.recipe.source
        if site is None or src is None or site.node is None or site.alias or \
                site.expression is not None:
            return None
        return rename_fix(src.text, src.start + site.node.start, src.start + site.node.end,
                          old, new, safe=False, what=what)

    def delete_field(self, entry: ModifierEntry, name: str, message: str, *,
                     safe: bool = True) -> Fix | None:
        """A fix deleting a `key: value` line (block style, value on the same line only)."""
        site = entry.fields.get((name,))
        src = self.recipe.source
        if site is None or src is None or site.key_span is None or site.node is None:
            return None
        key_line = site.key_span.line
        end_line = site.value_span.end_line
        if site.value_span.end_column == 1 and end_line > key_line:
            end_line -= 1
        line_text = src.line_text(key_line)
        before = line_text[: site.key_span.column - 1]
        if before.strip() not in ("", "-"):  # flow style or first key of a list item
            return None
        if before.strip() == "-":
            return None
        start = src.offset(key_line, 1)
        end = src.offset(end_line + 1, 1) if end_line < src.line_count else len(src.text)
        return Fix(message, (Edit(start, end, ""),), safe)

