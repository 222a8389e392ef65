"""Canonical layout for recipes: `recipe-studio format`.

What the canonical layout is:

* indentation: two spaces per mapping level, list items indented under their key
  (`modifiers:` / `  - !Modifier` / `    field: value`), the layout of SparseML's own
  recipes; modifiers are block mappings (a `- !Tag {...}` flow mapping on the tag's line is
  also what SparseML's tag rewrite cannot read);
* key order: each modifier's fields in the order of its model (SparseML's constructor
  order: what it acts on, the schedule, then the options), unknown fields last as written;
* number style for epochs: an epoch field written as a bare integer becomes a float
  (`start_epoch: 0` → `0.0`), the style SparseML itself serialises (values are floats to it
  anyway; scheduler `lr_kwargs` such as CosineAnnealingWarmRestarts' integer `cycle_epochs`
  are left alone);
* comment lines follow the content they sit with: a comment aligned with the line below
  (or above) it stays aligned with it after re-indenting, and a comment above a field moves
  with the field.

Everything else is kept: comments, anchors and aliases, tags, quoting (ruamel.yaml's
round trip with `preserve_quotes`), variables and their order, blank lines between blocks,
and in a Markdown recipe card everything outside the front matter. Formatting is checked
before anything is returned: the document PyYAML (and so SparseML) reads from the result
must equal the original's (numbers compared by value), and the comments must be the same;
otherwise :class:`FormatError` is raised and nothing is written. Formatting is idempotent.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from recipe_studio.transform.edit import comment_texts, restore_newlines
from recipe_studio.transform.layout import (
    FormatError, FormatResult, _diagnostics, _document, _format_yaml, _same,
)

if TYPE_CHECKING:
    from recipe_studio.read.source import Source

__all__ = ["FormatError", "FormatResult", "format_file", "format_source", "format_text", "write"]


def format_text(text: str, *, path: str | None = None, target: str | None = None) -> str:
    """The recipe `text` in canonical layout (see the module docstring).

    Raises :class:`FormatError` when the YAML cannot be read or when formatting would
    change what SparseML reads. `target`: for a stage recipe, the library whose modifier
    models order its arguments (None: the reader's inference); see :mod:`.stage_format`.
    """
    from recipe_studio.read.source import SourceError, from_text

    try:
        source = from_text(text, path=path, form=None if path else "text")
    except SourceError as e:
        raise FormatError(e.diagnostic.message, [e.diagnostic]) from None
    return format_source(source, target=target).text


def format_source(source: Source, *, target: str | None = None) -> FormatResult:
    """Format a recipe read once (a file, standard input or text); see :func:`format_text`."""
    from recipe_studio.read.source import from_text
    from recipe_studio.transform import stage_format

    if stage_format.is_stage_text(source):
        return stage_format.format_stage_source(source, target=target)

    path = source.path
    yaml_part = source.yaml_text
    before = _document(source)
    duplicates = [d for d in _diagnostics(source)
                  if d.code == "RS005" and d.severity.value == "error"]
    if duplicates:  # ruamel.yaml would keep the first value, SparseML keeps the last
        d = duplicates[0]
        raise FormatError(f"line {d.span.line}: {d.message}; remove one of the two before "
                          "formatting", duplicates)
    body = _format_yaml(yaml_part)
    if source.start == 0 and source.end == len(source.text):
        new_part = body.strip("\n") + "\n"
    else:  # front matter: keep the whitespace next to the `---` delimiters
        lead = yaml_part[: len(yaml_part) - len(yaml_part.lstrip())]
        trail = yaml_part[len(yaml_part.rstrip()):]
        new_part = lead + body.strip("\n") + trail
    new_text = source.text[: source.start] + new_part + source.text[source.end:]
    # the checks: same document for PyYAML, same comments
    after_source = from_text(new_text, path=path, form=source.form)
    after = _document(after_source)
    if not _same(before, after):
        raise FormatError("formatting would change what SparseML reads (a ruamel.yaml "
                          "round-trip difference); the recipe is left as it is")
    if Counter(comment_texts(source.text)) != Counter(comment_texts(new_text)):
        raise FormatError("formatting would lose or alter a comment; the recipe is left as "
                          "it is")
    if new_text == source.text:
        return FormatResult(source.original, False, source.text, source.text)
    new = restore_newlines(new_text, source)  # the file's own line endings
    return FormatResult(new, new != source.original, source.text, new_text)


def format_file(path: str, *, target: str | None = None) -> FormatResult:
    """Format a recipe file (nothing is written; see :func:`write`)."""
    from recipe_studio.read.source import SourceError, read_source

    try:
        source = read_source(path)
    except SourceError as e:
        raise FormatError(e.diagnostic.message, [e.diagnostic]) from None
    return format_source(source, target=target)


def write(path: str, text: str, *, force: bool = False) -> None:
    """Write formatted text atomically, byte for byte (its newlines and BOM are already the
    file's own); see :func:`recipe_studio.io.atomic_write_bytes` for `force`."""
    from recipe_studio.io import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"), force=force)


# ---- what PyYAML reads -------------------------------------------------------------------
