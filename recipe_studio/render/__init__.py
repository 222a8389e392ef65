"""Renderers: diagnostics and recipes to text, JSON and the CI formats.

Every renderer writes to a stream it is given and never decides exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from recipe_studio.diagnostics import Diagnostic


def render_json(diagnostics: Sequence[Diagnostic], stream: IO[str]) -> None:
    """A JSON array of diagnostic objects (see :meth:`Diagnostic.to_dict`)."""
    import json  # here: a cold `validate` with text output never loads json

    json.dump([d.to_dict() for d in diagnostics], stream, indent=2, default=json_default)
    stream.write("\n")


def json_default(value: Any) -> Any:
    """JSON for the odd values YAML can produce (dates, sets)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
