"""Diagnostics: what recipe-studio reports about a recipe.

Every problem found anywhere in the pipeline (reading the file, parsing YAML, resolving
variables, validating modifiers, lint rules) becomes a :class:`Diagnostic` with a rule
code, a severity, a message and a 1-based source span. Renderers (text, JSON, GitHub,
SARIF, LSP) only ever see these objects.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(str, enum.Enum):
    """How bad a diagnostic is. Errors make `validate`/`lint` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file: 1-based lines and columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        return cls(line, column, line, column + 1)

    def contains(self, line: int, column: int) -> bool:
        if (line, column) < (self.line, self.column):
            return False
        return (line, column) < (self.end_line, self.end_column)


START = Span(1, 1, 1, 1)


@dataclass(frozen=True, order=True)
class Edit:
    """Replace the text between two 0-based character offsets of the file by `text`.

    The one edit type: fixes carry them, and `lint --fix`, the language server, `scale`
    and `format` apply them with :func:`apply_edits` (to a file's own bytes, line endings
    and BOM, through :func:`recipe_studio.transform.edit.edit_original_text`).
    """

    start: int
    end: int
    text: str


class EditConflict(ValueError):
    """Two edits overlap, or one lies outside the text (a bug in the caller)."""


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with disjoint `edits` applied (an edit given twice applies once).

    Insertions at the same offset apply in (start, end, text) order. Raises
    :class:`EditConflict` when two edits overlap or one lies outside the text.
    """
    ordered = sorted(set(edits))
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise EditConflict(f"overlapping edits at offsets {a.start}-{a.end} and "
                               f"{b.start}-{b.end}")
    out: list[str] = []
    pos = 0
    for e in ordered:
        if e.start < pos or e.end > len(text) or e.start > e.end:
            raise EditConflict(f"edit {e.start}-{e.end} is outside the text")
        out.append(text[pos:e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


@dataclass(frozen=True)
class Fix:
    """A change that resolves a diagnostic. Unsafe fixes may change behaviour.

    `preferred` marks a did-you-mean rename (a misspelt field, tag, variable, value or
    rule): the language server offers it as the preferred quick fix even when it is
    unsafe, because it is what the author almost certainly meant.
    """

    message: str
    edits: tuple[Edit, ...]
    safe: bool = True
    preferred: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "applicability": "safe" if self.safe else "unsafe",
            "edits": [{"start": e.start, "end": e.end, "content": e.text} for e in self.edits],
        }


@dataclass(frozen=True)
class Related:
    """Another place that explains a diagnostic (a variable definition, the EpochRange...)."""

    span: Span
    message: str
    path: str | None = None


_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one file."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span = START
    path: str | None = None
    help: str | None = None
    fix: Fix | None = None
    related: tuple[Related, ...] = field(default=())

    def __post_init__(self) -> None:
        # a value read from `"\ud800"` (PyYAML accepts the escape) cannot be printed or
        # encoded as UTF-8: show the escape instead
        for name in ("message", "help"):
            text = getattr(self, name)
            if text and _SURROGATE.search(text):
                object.__setattr__(self, name, _SURROGATE.sub(
                    lambda m: f"\\u{ord(m.group()):04x}", text))

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path or "", self.span.line, self.span.column, self.code, self.message)

    def with_path(self, path: str | None) -> Diagnostic:
        return replace(self, path=path)

    def short(self) -> str:
        """`line:col CODE`, handy in tests."""
        return f"{self.span.line}:{self.span.column} {self.code}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "help": self.help,
            "fix": self.fix.to_dict() if self.fix else None,
            "related": [
                {
                    "path": r.path or self.path,
                    "line": r.span.line,
                    "column": r.span.column,
                    "end_line": r.span.end_line,
                    "end_column": r.span.end_column,
                    "message": r.message,
                }
                for r in self.related
            ],
        }


def has_errors(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def sort_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)
