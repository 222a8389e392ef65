"""recipe-studio positions, diagnostics and fixes ↔ LSP types.

recipe-studio counts 1-based lines and code-point columns over the text with `\\n`
newlines (:class:`~recipe_studio.diagnostics.Span`), and fixes edit 0-based offsets of that
text. LSP counts 0-based lines and columns in the negotiated position encoding (UTF-16
unless the client offers UTF-32 or UTF-8): every conversion goes through pygls's position
codec, so a non-ASCII comment before a value does not shift a range.
"""

from __future__ import annotations

from collections.abc import Iterable

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from recipe_studio.diagnostics import Diagnostic, Edit, Severity, Span
from recipe_studio.lsp.analysis import Analysis

SOURCE = "recipe-studio"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
#: rules whose findings are dead text (editors fade it)
_UNNECESSARY = {"RS311", "RS901"}


class Converter:
    """Conversions for one analysed document."""

    def __init__(self, analysis: Analysis, codec: PositionCodec | None = None):
        self.analysis = analysis
        self.codec = codec or PositionCodec()
        self.lines = analysis.lines

    # -- positions ------------------------------------------------------------------------
    def position(self, line: int, column: int) -> types.Position:
        """1-based (line, code-point column) → LSP position (clamped to the text)."""
        last = len(self.lines)
        if line > last:
            line, column = last, len(self.lines[-1]) + 1
        line = max(line, 1)
        text = self.lines[line - 1]
        column = max(1, min(column, len(text) + 1))
        return types.Position(line=line - 1,
                              character=self.codec.client_num_units(text[: column - 1]))

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.line, span.column),
                           end=self.position(span.end_line, span.end_column))

    def offsets(self, start: int, end: int) -> types.Range:
        """Offsets of the normalised file text → LSP range."""
        a = self.analysis.position(start)
        b = self.analysis.position(end)
        return types.Range(start=self.position(*a), end=self.position(*b))

    def from_lsp(self, position: types.Position) -> tuple[int, int]:
        """LSP position → 1-based (line, code-point column)."""
        if not self.lines:
            return 1, 1
        if position.line >= len(self.lines):
            return len(self.lines), len(self.lines[-1]) + 1
        pos = self.codec.position_from_client_units(
            self.lines, types.Position(line=position.line, character=position.character))
        return pos.line + 1, pos.character + 1

    # -- diagnostics ----------------------------------------------------------------------
    def diagnostic(self, d: Diagnostic, uri: str) -> types.Diagnostic:
        from recipe_studio.lint import registry

        rule = registry.get(d.code) if d.code.startswith("RS") else None
        message = d.message + (f"\nhelp: {d.help}" if d.help else "")
        related = []
        for r in d.related:
            target = uri
            if r.path and self.analysis.path and r.path != self.analysis.path:
                from pygls.uris import from_fs_path

                target = from_fs_path(r.path) or uri
            rng = self.range(r.span) if target == uri else types.Range(
                start=types.Position(line=r.span.line - 1, character=r.span.column - 1),
                end=types.Position(line=r.span.end_line - 1, character=r.span.end_column - 1))
            related.append(types.DiagnosticRelatedInformation(
                location=types.Location(uri=target, range=rng), message=r.message))
        return types.Diagnostic(
            range=self.range(d.span),
            message=message,
            severity=_SEVERITY[d.severity],
            code=d.code,
            code_description=types.CodeDescription(href=rule.url) if rule else None,
            source=SOURCE,
            related_information=related or None,
            tags=[types.DiagnosticTag.Unnecessary] if d.code in _UNNECESSARY else None,
            data={"name": d.name, "fixable": d.fix is not None},
        )

    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        if self.analysis.ignored:
            return []
        return [self.diagnostic(d, uri) for d in self.analysis.diagnostics]

    # -- edits ----------------------------------------------------------------------------
    def text_edit(self, edit: Edit) -> types.TextEdit:
        text = edit.text
        source = self.analysis.source
        if source is not None and source.newline != "\n":
            text = text.replace("\n", source.newline)
        return types.TextEdit(range=self.offsets(edit.start, edit.end), new_text=text)

    def code_actions(self, uri: str, rng: types.Range,
                     only: Iterable[str] | None = None) -> list[types.CodeAction]:
        """Quick fixes for the diagnostics touching `rng`, a suppression comment for each
        that can be suppressed, and a fix-all source action.

        A did-you-mean rename (`Fix.preferred`) or a safe fix is the preferred action. A
        load-level error (SparseML cannot load the recipe) gets no "disable" action: it
        cannot be suppressed, only fixed."""
        from recipe_studio.read.codes import is_load_error

        kinds = list(only) if only else None

        def wanted(kind: str) -> bool:
            return kinds is None or any(kind == k or kind.startswith(k + ".") for k in kinds)

        out: list[types.CodeAction] = []
        first = self.from_lsp(rng.start)
        last = self.from_lsp(rng.end)
        for d in self.analysis.diagnostics:
            if self.analysis.ignored or not _touches(d.span, first, last):
                continue
            lsp_diag = self.diagnostic(d, uri)
            if d.fix is not None and d.fix.edits and wanted(types.CodeActionKind.QuickFix):
                title = d.fix.message + ("" if d.fix.safe else " (unsafe)")
                out.append(types.CodeAction(
                    title=f"{title} ({d.code})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[lsp_diag],
                    is_preferred=d.fix.safe or d.fix.preferred,
                    edit=types.WorkspaceEdit(changes={uri: [self.text_edit(e)
                                                            for e in d.fix.edits]})))
            if d.code.startswith("RS") and not is_load_error(d) and \
                    wanted(types.CodeActionKind.QuickFix):
                edit = self.suppression_edit(d)
                if edit is not None:
                    out.append(types.CodeAction(
                        title=f"Disable {d.code} ({d.name}) on this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diag],
                        edit=types.WorkspaceEdit(changes={uri: [edit]})))
        if wanted(types.CodeActionKind.SourceFixAll):
            fix_all = self.fix_all(uri)
            if fix_all is not None:
                out.append(fix_all)
        return out

    def suppression_edit(self, d: Diagnostic) -> types.TextEdit | None:
        """`  # recipe-studio: disable=CODE` at the end of the diagnostic's first line
        (or the code added to an existing disable comment there)."""
        import re

        text = self.analysis.line_text(d.span.line)
        if self.analysis.source is not None:
            start = self.analysis.source.first_line
            end = self.analysis.position(self.analysis.source.end)[0]
            if not start <= d.span.line <= end:
                return None
        m = re.search(r"#\s*recipe-studio:\s*disable\s*=\s*([A-Za-z0-9_\-,\s]*[A-Za-z0-9_\-])",
                      text)
        if m:
            at = m.end(1)
            return types.TextEdit(range=types.Range(start=self.position(d.span.line, at + 1),
                                                    end=self.position(d.span.line, at + 1)),
                                  new_text=f",{d.code}")
        end = len(text.rstrip())
        return types.TextEdit(range=types.Range(start=self.position(d.span.line, end + 1),
                                                end=self.position(d.span.line, len(text) + 1)),
                              new_text=f"  # recipe-studio: disable={d.code}")

    def fix_all(self, uri: str) -> types.CodeAction | None:
        """Every safe fix, applied as `recipe-studio lint --fix` would (re-linted until
        stable), as one edit of the whole document."""
        if self.analysis.ignored or not any(
                d.fix is not None and d.fix.safe for d in self.analysis.diagnostics):
            return None
        from recipe_studio.lint.fix import fix_text
        from recipe_studio.lsp.analysis import analyze

        path = self.analysis.path
        outcome = fix_text(self.analysis.normalized,
                           lambda text: analyze(text, path, force=True).diagnostics)
        if not outcome.changed:
            return None
        new = outcome.text
        source = self.analysis.source
        if source is not None and source.newline != "\n":
            new = new.replace("\n", source.newline)
        whole = self.offsets(0, len(self.analysis.normalized))
        return types.CodeAction(
            title=f"Fix all safe problems ({len(outcome.applied)} fixes)",
            kind=types.CodeActionKind.SourceFixAll,
            edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=whole,
                                                                   new_text=new)]}))


def _touches(span: Span, first: tuple[int, int], last: tuple[int, int]) -> bool:
    """The span overlaps [first, last] (both 1-based, inclusive)."""
    return ((span.line, span.column) <= last and first <= (span.end_line, span.end_column))
