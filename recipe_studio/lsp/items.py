"""A completion proposal: the type the classic and the stage-recipe completion share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Item:
    """One completion proposal; `replace` is the 1-based column where the replaced text
    starts (it ends at the cursor)."""

    label: str
    kind: str  # "tag" | "field" | "value" | "variable" | "snippet"
    replace: int
    insert: str
    snippet: bool = False
    detail: str | None = None
    documentation: str | None = None
    sort: str | None = None
