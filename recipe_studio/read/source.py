"""Source text: reading a recipe file and locating the YAML SparseML will parse.

SparseML 1.8 reads `.yaml` files whole, extracts the YAML front matter of `.md` recipe
cards (and of raw text passed to the API) with one regular expression, and refuses
every other extension (sparseml-recipes.md §2). :class:`Source` keeps the whole text and
the character range SparseML parses, so every position reported later maps back to the
line and column of the *file*.
"""

from __future__ import annotations

import bisect
import os
import re
import sys
from dataclasses import dataclass, field
from typing import IO, Literal

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Span
from recipe_studio.io import NotRegularFile, TooLarge, broken_link, read_regular
from recipe_studio.read import codes

#: Recipes are a few KB; anything beyond this is not a recipe (and not worth parsing).
MAX_FILE_BYTES = 8 * 1024 * 1024

Form = Literal["yaml", "yml", "md", "text"]

# SparseML's own front-matter rule (sparseml/optim/helpers.py, _load_yaml_str_from_file):
# first match of `^\s*(---|+++)(.*?)(---|+++)` with MULTILINE|DOTALL. The closing
# delimiter may be anywhere, even inside a comment (sparseml-recipes.md §2.2).
FRONT_MATTER = re.compile(r"^\s*(?:---|\+\+\+)(.*?)(?:---|\+\+\+)", re.S | re.M)


class SourceError(Exception):
    """The file cannot be turned into text; carries the diagnostic to report."""

    def __init__(self, diagnostic: Diagnostic, *, io_error: bool = False):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        #: True for missing/unreadable files (CLI exit code 2 territory).
        self.io_error = io_error


class LineIndex:
    """The one line index: 0-based offsets ↔ 1-based (line, code-point column) of a text
    with `\\n` newlines (every other newline is normalised away before text gets here).

    :class:`Source` keeps one for its text; the language server (which converts these
    columns to the client's UTF-16 units on top of it, in `lsp/convert.py`) and the CLI's
    source snippets use the same class.
    """

    __slots__ = ("text", "starts", "_lines")

    def __init__(self, text: str):
        self.text = text
        #: offset at which each line starts (line n starts at ``starts[n - 1]``)
        self.starts = [0]
        self.starts.extend(m.end() for m in re.finditer("\n", text))
        self._lines: list[str] | None = None

    @property
    def line_count(self) -> int:
        return len(self.starts)

    @property
    def lines(self) -> list[str]:
        """The lines without their newlines (as many as :attr:`line_count`)."""
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a 0-based character offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def offset(self, line: int, column: int) -> int:
        """0-based character offset of a 1-based (line, column), clamped to the text."""
        line = max(1, min(line, len(self.starts)))
        return min(self.starts[line - 1] + max(column, 1) - 1, len(self.text))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline ('' beyond the end)."""
        if line < 1 or line > len(self.starts):
            return ""
        a = self.starts[line - 1]
        b = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[a:b]

    def span(self, start: int, end: int) -> Span:
        """Span between two offsets; an empty range becomes one character wide (a
        diagnostic always marks something)."""
        # two `position`s, inlined (every node and field of a load has spans)
        size = len(self.text)
        starts = self.starts
        if end < start:
            end = start
        start = 0 if start < 0 else size if start > size else start
        end = 0 if end < 0 else size if end > size else end
        i = bisect.bisect_right(starts, start) - 1
        j = bisect.bisect_right(starts, end, i) - 1
        column = start - starts[i] + 1
        end_column = end - starts[j] + 1
        if i == j and column == end_column:
            end_column += 1
        return Span(i + 1, column, j + 1, end_column)


@dataclass(frozen=True)
class Source:
    """A recipe's text and the part of it SparseML parses as YAML."""

    path: str | None
    text: str
    form: Form
    start: int = 0
    end: int = -1
    newline: str = "\n"
    bom: bool = False
    notes: tuple[Diagnostic, ...] = ()
    #: the exact text the Source was made from (its own newlines, mixed or CR-only, and its
    #: BOM); edits are applied to it (:func:`recipe_studio.transform.edit.edit_original`).
    #: A Source built directly gets `text` in its `newline` style, with `bom`.
    original: str = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    #: lines of :attr:`text` (built from it; never passed in)
    index: LineIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.end < 0:
            object.__setattr__(self, "end", len(self.text))
        if self.original is None:
            text = self.text if self.newline == "\n" else self.text.replace("\n", self.newline)
            object.__setattr__(self, "original", (BOM if self.bom else "") + text)
        object.__setattr__(self, "index", LineIndex(self.text))

    @property
    def yaml_text(self) -> str:
        return self.text[self.start : self.end]

    @property
    def first_line(self) -> int:
        """1-based file line on which the YAML part starts."""
        return self.index.position(self.start)[0]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a 0-based character offset in :attr:`text`."""
        return self.index.position(offset)

    def offset(self, line: int, column: int) -> int:
        """0-based character offset of a 1-based (line, column)."""
        return self.index.offset(line, column)

    def span(self, start: int, end: int) -> Span:
        """Span of the file text between two offsets of the *YAML part*."""
        return self.index.span(self.start + start, self.start + max(end, start))

    def file_span(self, start: int, end: int) -> Span:
        """Span between two offsets of the whole file text."""
        return self.index.span(start, end)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        return self.index.line_text(line)

    @property
    def line_count(self) -> int:
        return self.index.line_count


def form_of(path: str | None) -> Form:
    if path is None:
        return "text"
    ext = path.lower().rsplit(".", 1)[-1] if "." in os.path.basename(path) else ""
    if ext in ("yaml", "yml", "md"):
        return ext  # type: ignore[return-value]
    if ext in ("markdown", "mdx"):
        return "md"
    return "yaml"


#: the byte-order mark, as text
BOM = "\ufeff"


def normalize_newlines(text: str) -> str:
    """`\\r\\n` and `\\r` as `\\n`."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def split_original(original: str) -> tuple[str, bool, str]:
    """A file's own text → (the text the recipe core reads: no BOM, every line ending
    `\\n`; whether it had a BOM; its newline: `\\r\\n` when a line ends so, else `\\n`).

    The one place reading strips BOMs and line endings; writing puts them back in
    :mod:`recipe_studio.transform.edit` (`edit_original`, `restore_newlines`)."""
    newline = "\r\n" if "\r\n" in original else "\n"
    text = normalize_newlines(original)
    bom = text.startswith(BOM)
    return (text[1:] if bom else text), bom, newline


def decode(data: bytes, path: str | None) -> str:
    """Bytes → the file's text as written (BOM and line endings kept; see
    :func:`split_original`)."""
    if b"\x00" in data[:8192] or b"\x00" in data:
        nul = data.index(b"\x00")
        raise SourceError(codes.FILE_NOT_TEXT.diag(
            f"the file is binary (NUL byte at offset {nul}), not a recipe",
            help="pass a `.yaml` or `.md` recipe file", path=path))
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        prefix = data[: e.start].decode("utf-8", "replace")
        line = prefix.count("\n") + 1
        col = len(prefix) - (prefix.rfind("\n") + 1) + 1
        raise SourceError(codes.FILE_NOT_TEXT.diag(
            f"the file is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})",
            Span.point(line, col), help="save the recipe as UTF-8", path=path)) from None
    return BOM + text if bom else text


def read_source(path: str | os.PathLike[str], *, display: str | None = None) -> Source:
    """Read a recipe file. Raises :class:`SourceError` with a diagnostic on failure."""
    shown = display if display is not None else str(path)
    data = read_file(path, shown)
    return from_text(decode(data, shown), path=shown, form=form_of(str(path)))


def read_file(path: str | os.PathLike[str], shown: str) -> bytes:
    """The bytes of a recipe file, through :func:`recipe_studio.io.read_regular`: a
    directory, FIFO, device or socket is refused without being opened, and at most
    :data:`MAX_FILE_BYTES` are read. Raises :class:`SourceError`; the file-level ones
    (everything but the size) are I/O errors (exit 2)."""
    limit = MAX_FILE_BYTES
    try:
        return read_regular(path, limit)
    except NotRegularFile as e:
        if e.is_dir:
            message = f"`{shown}` is a directory, not a recipe file"
            hint = ("pass one recipe file (`validate`, `lint` and `format` also search "
                    "directories)")
        else:
            message = f"`{shown}` is {e.kind}, not a regular file; it was not read"
            hint = "pass a `.yaml` or `.md` recipe file"
        raise SourceError(codes.FILE_UNREADABLE.diag(message, help=hint, path=shown),
                          io_error=True) from None
    except TooLarge as e:
        what = (f"the file is {e.size / 2**20:.1f} MiB" if e.size is not None else
                f"the file holds more than {limit // (1024 * 1024)} MiB (more than its "
                "reported size)")
        raise SourceError(codes.FILE_TOO_LARGE.diag(
            f"{what}; recipes larger than {limit // (1024 * 1024)} MiB are not read",
            help="split the recipe or check that this is the right file", path=shown)) from None
    except FileNotFoundError:
        why = broken_link(path)
        raise SourceError(codes.FILE_UNREADABLE.diag(
            f"`{shown}` is {why}" if why else f"`{shown}` does not exist", path=shown),
            io_error=True) from None
    except OSError as e:
        why = broken_link(path)
        message = (f"`{shown}` is {why}" if why else
                   f"cannot read `{shown}`: {_lower_first(e.strerror or str(e))}")
        raise SourceError(codes.FILE_UNREADABLE.diag(message, path=shown),
                          io_error=True) from None


def from_text(
    text: str,
    *,
    path: str | None = None,
    form: Form | None = None,
) -> Source:
    """Locate the YAML part of a recipe text the way SparseML does.

    Raw text (``form="text"``, SparseML's "string containing a newline") gets the
    front-matter extraction when it matches and is used whole otherwise; `.md` must match.
    `text` is kept as the Source's `original` (line endings and BOM as given).
    """
    original = text
    text, bom, newline = split_original(text)
    form = form or form_of(path)
    notes: list[Diagnostic] = []
    if form == "yml":
        notes.append(codes.YML_EXTENSION.diag(
            "SparseML 1.8 refuses the `.yml` extension (only `.yaml` and `.md` load)",
            help="rename the file to `.yaml`", path=path))
    start, end = 0, len(text)
    if form in ("md", "text"):
        # SparseML searches the text as read, byte-order mark included: `^\s*---` does not
        # match on a first line that starts with one (the card then has no front matter)
        shift = 1 if bom else 0
        m = FRONT_MATTER.search(BOM + text if bom else text)
        if m:
            start, end = m.start(1) - shift, m.end(1) - shift
        elif form == "md" and bom and FRONT_MATTER.search(text):
            raise SourceError(codes.NO_FRONT_MATTER.diag(
                "the card starts with a byte-order mark, and SparseML's front-matter pattern "
                "(`^\\s*---`) does not match a first line that starts with one: SparseML "
                "finds no front matter", help="save the file as UTF-8 without a BOM",
                path=path))
        elif form == "md":
            # nothing for SparseML to parse: the YAML part is empty and RS006 says why (the
            # source is kept so that positions, code frames and the fix work)
            start = end = 0
            notes.append(_no_front_matter(text, path))
    return Source(path=path, text=text, form=form, start=start, end=end,
                  newline=newline, bom=bom, notes=tuple(notes), original=original)


def _lower_first(message: str) -> str:
    """`Permission denied` → `permission denied` (messages are lower case; paths are not)."""
    return message[:1].lower() + message[1:]


#: how a recipe read from standard input is named when `--stdin-filename` gives no name
STDIN_NAME = "<stdin>"


def read_stdin(name: str | None = None, stream: IO[bytes] | None = None) -> Source:
    """Read a recipe from standard input, with the same size limit and decoding as a file.

    `name` (the CLI's `--stdin-filename`) is the path positions are reported under and
    decides the form (`.md`: a Markdown recipe card); without it the text is YAML named
    `<stdin>`. Raises :class:`SourceError` like :func:`read_source`.
    """
    shown = name or STDIN_NAME
    try:
        data = (stream if stream is not None else sys.stdin.buffer).read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError, AttributeError) as e:
        raise SourceError(codes.FILE_UNREADABLE.diag(
            f"cannot read standard input: {getattr(e, 'strerror', None) or e}", path=shown),
            io_error=True) from None
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(codes.FILE_TOO_LARGE.diag(
            f"standard input holds more than {MAX_FILE_BYTES // (1024 * 1024)} MiB; recipes "
            "larger than that are not read",
            help="split the recipe or check that this is the right input", path=shown))
    return from_text(decode(data, shown), path=shown, form=form_of(name) if name else "yaml")


#: lines that look like a front-matter delimiter but are not `---`/`+++`: `___`, `- - -`,
#: `—` (an editor's em dash for `---`), `–––`, `***`, `===`, `~~~`, `++`, `--`
_NEAR_DELIMITER = re.compile(
    r"[ \t]*(?:_{2,}|(?:-[ \t]+){2,}-|[\u2012-\u2015\u2212]+|\*{3,}|={3,}|~{3,}|\+\+|--)"
    r"[ \t]*$")


def _no_front_matter(text: str, path: str | None) -> Diagnostic:
    """RS006 for a `.md` card; a near-miss delimiter gets "did you mean `---`?" and a fix."""
    lines = text.split("\n")
    offset = 0
    near: list[tuple[int, int, str]] = []  # (line index, offset, text) of near-miss lines
    for i, line in enumerate(lines):
        if not near and not line.strip():
            offset += len(line) + 1
            continue
        if _NEAR_DELIMITER.fullmatch(line):
            near.append((i, offset, line))
            if len(near) == 2:
                break
        elif not near:
            break  # the card does not start with a delimiter-like line
        offset += len(line) + 1
    if near:
        i, start, line = near[0]
        shown = line.strip()
        col = len(line) - len(line.lstrip()) + 1
        edits = tuple(Edit(o + len(t) - len(t.lstrip()), o + len(t.rstrip()), "---")
                      for _, o, t in near)
        if len(near) > 1:
            message = (f"no YAML front matter: `{shown}` (lines {i + 1} and {near[1][0] + 1}) "
                       "is not a front-matter delimiter for SparseML, which takes only `---` "
                       "or `+++`")
        else:
            message = (f"no YAML front matter: the card starts with `{shown}`, which is not a "
                       "front-matter delimiter for SparseML (only `---` or `+++` is)")
        return codes.NO_FRONT_MATTER.diag(
            message,
            Span(i + 1, col, i + 1, col + len(shown)), help="did you mean `---`?",
            fix=Fix("write `---`", edits), path=path)
    return codes.NO_FRONT_MATTER.diag(
        "no YAML front matter: SparseML reads a Markdown recipe card only between "
        "a first `---` (or `+++`) line and the next `---`",
        help="put the recipe between `---` lines at the top of the file", path=path)
