"""Did-you-mean renames as fixes: the misspelt scalar (or name inside an `eval(...)`)
replaced by the suggestion, written in the style it was written in.

The loader attaches them to its diagnostics while reading and the lint rules to theirs;
which of them are safe is the fix policy (:mod:`recipe_studio.lint.fix`).
"""

from __future__ import annotations

import functools
import re

from recipe_studio.diagnostics import Edit, Fix

_FLOW_OR_COMMENT = re.compile(r"[,\[\]{}#]|: |^[\s'\"!&*|>%@`-]|\s$")


@functools.lru_cache(maxsize=1024)  # the suggested names repeat (a full YAML load each)
def reads_as_plain_string(text: str) -> bool:
    """Whether `text`, written as a plain YAML scalar, reads back (YAML 1.1, as SparseML
    reads it) as that same string, also inside a flow collection."""
    import yaml

    if not text or _FLOW_OR_COMMENT.search(text) or "\n" in text:
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def render_like(written: str, new: str) -> str | None:
    """`new` as a YAML scalar in the style `written` was (plain, 'single' or "double"
    quoted), reading back as the string `new`; None when no simple form holds it."""
    if written[:1] in ("'", '"'):
        quote = written[0]
        if quote in new or "\\" in new or "\n" in new:
            return None
        return f"{quote}{new}{quote}"
    if reads_as_plain_string(new):
        return new
    return None if "'" in new or "\n" in new else f"'{new}'"


def rename_fix(text: str, start: int, end: int, old: str, new: str, *, safe: bool,
               what: str = "") -> Fix | None:
    """A fix replacing the scalar `old` written at `text[start:end]` (plain or quoted) by
    `new`, in the same style; None when the text there is not simply `old`."""
    written = text[start:end]
    if written not in (old, f"'{old}'", f'"{old}"'):
        return None
    rendered = render_like(written, new)
    if rendered is None:
        return None
    label = f"{what} " if what else ""
    return Fix(f"rename {label}`{old}` to `{new}`", (Edit(start, end, rendered),), safe,
               preferred=True)


def rename_name_fix(text: str, start: int, end: int, old: str, new: str, *,
                    what: str = "variable") -> Fix | None:
    """A fix renaming every use of the name `old` inside the `eval(...)` written at
    `text[start:end]` (unsafe: another name is another value)."""
    body = text[start:end]
    edits = tuple(Edit(start + m.start(), start + m.end(), new)
                  for m in re.finditer(rf"(?<![\w.]){re.escape(old)}(?![\w])", body))
    if not edits or "eval(" not in body:
        return None
    return Fix(f"rename {what} `{old}` to `{new}`", edits, safe=False, preferred=True)
