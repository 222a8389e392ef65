"""What scaling returns (:class:`ScaleResult`, :class:`Change`) or raises (:class:`ScaleError`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recipe_studio.diagnostics import Diagnostic

if TYPE_CHECKING:
    from recipe_studio.read.recipe import Recipe


class ScaleError(Exception):
    """The recipe cannot be scaled; `diagnostics` says why (when it is the recipe's fault).

    `recipe` is the recipe as loaded for scaling (its text shows the diagnostics in
    context; with no source when the file could not be read)."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = (),
                 recipe: Recipe | None = None):
        super().__init__(message)
        self.message = message
        self.diagnostics = list(diagnostics)
        self.recipe = recipe


@dataclass(frozen=True)
class Change:
    """One value written differently in the scaled recipe."""

    line: int
    what: str
    old: str
    new: str


@dataclass
class ScaleResult:
    """The scaled recipe text and what was done to get it."""

    #: the scaled recipe in the file's own line endings and BOM (what is written)
    text: str
    #: the largest start/end epoch before and after (SparseML's max_epochs rounds them up)
    old_epochs: float
    new_epochs: float
    old_max_epochs: int
    new_max_epochs: int
    #: the factor applied to epochs before the QAT tail (everything, without
    #: --keep-quantization)
    ratio: float
    changes: list[Change] = field(default_factory=list)
    #: explanations: conflicts resolved, values rounded, variables left alone
    notes: list[str] = field(default_factory=list)
    #: new values for variables given with --var/--vars (pass these with the result)
    overrides: dict[str, float] = field(default_factory=dict)
    #: (old, new) QAT start with --keep-quantization
    qat_start: tuple[float, float] | None = None
    #: the recipe before and after, with `\n` newlines and no BOM (what a diff shows)
    before: str = field(default="", repr=False)
    after: str = field(default="", repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.changes)
