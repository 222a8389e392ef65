"""The one place a rich Console is made, so that every coloured output follows the same rules.

`--color` / `--no-color` win; without them `NO_COLOR` (any non-empty value) turns colour off
and `FORCE_COLOR` (any non-empty value) turns it on when the stream is not a terminal, as
https://no-color.org and https://force-color.org ask; otherwise colour is on only on a
terminal.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def color_wanted(color: bool | None, stream: IO[str] | None = None) -> bool:
    """Whether output to `stream` gets colour under the rules above."""
    if color is not None:
        return color
    if os.environ.get("NO_COLOR", ""):
        return False
    if os.environ.get("FORCE_COLOR", ""):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


def make_console(stream: IO[str] | None = None, color: bool | None = None, *,
                 width: int | None = None, **options: Any) -> Console:
    """A Console writing to `stream` with the colour rules above; without a stream it writes
    to whatever `sys.stdout` is at the time of each print (so that a live display's
    redirection of stdout applies).

    Markup, emoji and highlighting are off unless asked for: what we print is literal text.
    """
    from rich.console import Console

    options.setdefault("highlight", False)
    options.setdefault("markup", False)
    options.setdefault("emoji", False)
    wanted = color_wanted(color, stream if stream is not None else sys.stdout)
    # Rich reads NO_COLOR and FORCE_COLOR itself, but an explicit no_color=False (what a
    # plain `no_color=color is False` passes) overrides NO_COLOR; decide here instead.
    return Console(file=stream, force_terminal=True if wanted else None,
                   no_color=not wanted, color_system="auto" if wanted else None,
                   width=width, **options)


def terminal_width(stream: IO[str] | None = None) -> int:
    """The width to lay out for: `$COLUMNS` when set, else the terminal's, else 80 (rich)."""
    from rich.console import Console

    return Console(file=stream).width
