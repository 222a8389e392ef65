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
    """Write diagnostics in compiler style. `lines_of(path)` gives a line getter (or None).

    Without colour the lines are written as they are and rich is not imported (~30 ms of a
    cold start); text rich would change (tabs, a few control codes) still goes through it."""
    from recipe_studio.render.console import color_wanted

    printed = _layout(diagnostics, lines_of, summary, files_checked)
    if color_wanted(color, stream) or any(
            not _RICH_REWRITES.isdisjoint(text) for line in printed for text, _ in line[1]):
        _print_rich(printed, stream, color)
    else:
        _print_plain(printed, stream)


#: one printed line: the style of the whole line, and its (text, style of the text) parts;
#: None is a style not given (`Text.append(text)`), "" the empty style, and a line styled
#: `_STR` is printed as a plain str (the summary line)
_Printed = tuple[str | None, list[tuple[str, str | None]]]
_STR = "<str>"

#: characters rich changes in printed text (tabs expanded, BEL, BS, VT, FF and CR removed):
#: text without them is written by the plain path exactly as rich writes it
_RICH_REWRITES = frozenset("\t\x07\x08\x0b\x0c\r")


def _layout(diagnostics: Sequence[Diagnostic],
            lines_of: Callable[[str | None], Callable[[int], str] | None],
            summary: bool, files_checked: int | None) -> list[_Printed]:
    out: list[_Printed] = []
    for d in diagnostics:
        out.append((None, [(f"{d.severity.value}[{d.code}]", _STYLES[d.severity]),
                           (f" {d.message}", "bold")]))
        where = f"{d.path or '<text>'}:{d.span.line}:{d.span.column}"
        if d.code in WHOLE_FILE:  # no line or column to point at
            where = d.path or "<text>"
        getter = lines_of(d.path)
        snippet = _snippet_lines(getter, d) if getter else []
        width = max([len(str(n)) for n, *_ in snippet] + [1])
        pad = " " * width
        out.append(("blue", [(f"{pad}--> ", None), (where, "")]))
        if snippet and any(t.strip() for _, t, _, _ in snippet):
            out.append(("blue", [(f"{pad} |", None)]))
            for n, text, col, w in snippet:
                out.append(("blue", [(f"{n:>{width}} | ", None), (text.expandtabs(1), None)]))
                out.append(("blue", [(f"{pad} | ", None),
                                     (" " * (col - 1) + "^" * w, _STYLES[d.severity])]))
        for r in d.related:
            rp = r.path or d.path or "<text>"
            out.append(("blue", [(f"{pad} = note: ", None),
                                 (f"{r.message} ({rp}:{r.span.line}:{r.span.column})", None)]))
        if d.help:
            out.append(("blue", [(f"{pad} = help: ", None), (d.help, None)]))
        if d.fix:
            kind = "fix" if d.fix.safe else "unsafe fix"
            out.append(("blue", [(f"{pad} = {kind}: ", None), (d.fix.message, None)]))
        out.append((None, []))
    if summary:
        out.append((_STR, [(summary_line(diagnostics, files_checked), None)]))
    return out


def _print_rich(printed: list[_Printed], stream: IO[str], color: bool | None) -> None:
    from rich.text import Text

    from recipe_studio.render.console import make_console

    console = make_console(stream, color, soft_wrap=True)
    for base, parts in printed:
        if not parts:
            console.print()
            continue
        if base is _STR:
            console.print(parts[0][0])
            continue
        line = Text() if base is None else Text(parts[0][0], style=base)
        for text, style in parts if base is None else parts[1:]:
            if style is None:
                line.append(text)
            else:
                line.append(text, style=style)
        console.print(line)


def _print_plain(printed: list[_Printed], stream: IO[str]) -> None:
    """What `_print_rich` writes without colour, without rich: the same text, one write and
    flush per line, and rich's answers to a closed pipe (exit status 1, standard output
    sent to the null device) and to an encoding error (its hint added)."""
    import os
    import sys

    for _, parts in printed:
        try:
            try:
                stream.write("".join(text for text, _ in parts) + "\n")
            except UnicodeEncodeError as error:
                error.reason = (f"{error.reason}\n*** You may need to add PYTHONIOENCODING=utf-8"
                                " to your environment ***")
                raise
            stream.flush()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None


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
