"""Compiler-style text output: a header, the file position, a source snippet with carets.

```
error[RS102] unknown field `final_sparsty` for `!GMPruningModifier`
  --> recipe.yaml:12:5
   |
12 |     final_sparsty: 0.85
   |     ^^^^^^^^^^^^^
   = help: did you mean `final_sparsity`?
```

Rich does the colouring (only on a terminal, or when forced); the layout is ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import IO

from recipe_studio.diagnostics import Diagnostic, Severity

_STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold blue",
}


#: codes about the file as a whole (unreadable, not a regular file, too large): the
#: `-->` line names the path only (JSON and SARIF keep 1:1, which their schemas need)
WHOLE_FILE = frozenset({"RS001", "RS002"})


def _snippet_lines(lines: Callable[[int], str], d: Diagnostic) -> list[tuple[int, str, int, int]]:
    """(line number, text, caret start col, caret width) for the diagnostic's span."""
    out = []
    first, last = d.span.line, min(d.span.end_line, d.span.line + 2)
    for n in range(first, last + 1):
        text = lines(n)
        if n == first and n == d.span.end_line:
            a, b = d.span.column, max(d.span.end_column, d.span.column + 1)
        elif n == first:
            a, b = d.span.column, len(text) + 1
        elif n == d.span.end_line:
            a, b = 1 + (len(text) - len(text.lstrip())), d.span.end_column
        else:
            a, b = 1 + (len(text) - len(text.lstrip())), len(text) + 1
        if n != first and not text.strip():
            continue
        b = min(b, len(text) + 1) if text else b
        out.append((n, text, a, max(1, b - a)))
        if n != first and n == d.span.end_line:
            break
    return out


def render(
    diagnostics: Sequence[Diagnostic],
    stream: IO[str],
    *,
    lines_of: Callable[[str | None], Callable[[int], str] | None],
    color: bool | None = None,
    summary: bool = True,
    files_checked: int | None = None,
) -> None:
    """Write diagnostics in compiler style. `lines_of(path)` gives a line getter (or None)."""
    from rich.text import Text

    from recipe_studio.render.console import make_console

    console = make_console(stream, color, soft_wrap=True)
    for d in diagnostics:
        head = Text()
        head.append(f"{d.severity.value}[{d.code}]", style=_STYLES[d.severity])
        head.append(f" {d.message}", style="bold")
        console.print(head)
        where = f"{d.path or '<text>'}:{d.span.line}:{d.span.column}"
        if d.code in WHOLE_FILE:  # no line or column to point at
            where = d.path or "<text>"
        getter = lines_of(d.path)
        snippet = _snippet_lines(getter, d) if getter else []
        width = max([len(str(n)) for n, *_ in snippet] + [1])
        pad = " " * width
        console.print(Text(f"{pad}--> ", style="blue").append(where, style=""))
        if snippet and any(t.strip() for _, t, _, _ in snippet):
            console.print(Text(f"{pad} |", style="blue"))
            for n, text, col, w in snippet:
                line = Text(f"{n:>{width}} | ", style="blue")
                line.append(text.expandtabs(1))
                console.print(line)
                caret = Text(f"{pad} | ", style="blue")
                caret.append(" " * (col - 1) + "^" * w, style=_STYLES[d.severity])
                console.print(caret)
        for r in d.related:
            rp = r.path or d.path or "<text>"
            console.print(Text(f"{pad} = note: ", style="blue").append(
                f"{r.message} ({rp}:{r.span.line}:{r.span.column})"))
        if d.help:
            console.print(Text(f"{pad} = help: ", style="blue").append(d.help))
        if d.fix:
            kind = "fix" if d.fix.safe else "unsafe fix"
            console.print(Text(f"{pad} = {kind}: ", style="blue").append(d.fix.message))
        console.print()
    if summary:
        console.print(summary_line(diagnostics, files_checked))


def summary_line(diagnostics: Iterable[Diagnostic], files_checked: int | None = None) -> str:
    """`Found 7 errors in 1 file (5 files checked).` / `All good: no problems found in 4 files.`

    The file count is that of the files with a problem; how many were checked is added when
    it differs. Without `files_checked` (one recipe, already named) no file count is given.
    """
    ds = list(diagnostics)
    counts = {s: sum(1 for d in ds if d.severity is s) for s in Severity}
    parts = []
    for sev, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                      (Severity.INFO, "note")):
        n = counts[sev]
        if n:
            parts.append(f"{n} {word}{'s' if n != 1 else ''}")
    if not parts:
        files = "" if files_checked is None else f" in {_files(files_checked)}"
        return f"All good: no problems found{files}."
    if files_checked is None:
        return f"Found {', '.join(parts)}."
    with_problems = len({d.path for d in ds})
    files = f" in {_files(with_problems)}"
    if files_checked != with_problems:
        files += f" ({_files(files_checked)} checked)"
    return f"Found {', '.join(parts)}{files}."


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


def render_concise(diagnostics: Sequence[Diagnostic], stream: IO[str], *, summary: bool = True,
                   files_checked: int | None = None) -> None:
    """`path:line:col: CODE [severity] message` — one line each (editors, grep) — and the
    summary line, as ruff's concise format ends."""
    for d in diagnostics:
        stream.write(f"{d.path or '<text>'}:{d.span.line}:{d.span.column}: {d.code} "
                     f"[{d.severity.value}] {d.message}\n")
    if summary:
        stream.write(summary_line(diagnostics, files_checked) + "\n")
