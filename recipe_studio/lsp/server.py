"""The pygls language server: document sync, debounced diagnostics and the feature handlers.

Diagnostics are computed on open, change and save, debounced: a change to a document the
server is idle on is analysed at once (in a worker thread, so the server keeps reading
messages); changes that arrive while an analysis is pending or running are coalesced, and
the next run waits until no change came for `debounce` seconds. Results that are stale by
the time they are ready are not published.

Initialization options (all optional)::

    {"debounce": 0.05,      # quiet period (seconds) before re-analysing during a burst
     "lintAllFiles": false} # also lint YAML/Markdown files that do not look like recipes
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from recipe_studio import __version__
from recipe_studio.diagnostics import Diagnostic, Severity, Span
from recipe_studio.lsp import completion, hover, navigation
from recipe_studio.lsp.analysis import CONFIG_NAMES, Analysis, analyze
from recipe_studio.lsp.convert import Converter

log = logging.getLogger(__name__)

#: default quiet period (seconds) before re-analysing during a burst of changes
DEBOUNCE = 0.05

_ITEM_KIND = {
    "tag": types.CompletionItemKind.Class,
    "field": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.EnumMember,
    "variable": types.CompletionItemKind.Variable,
    "snippet": types.CompletionItemKind.Snippet,
}


class RecipeLanguageServer(LanguageServer):
    """recipe-studio's language server."""

    def __init__(self) -> None:
        super().__init__("recipe-studio", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}
        self.pending: set[str] = set()
        self.workers: dict[str, asyncio.Task[None]] = {}
        #: seconds without a change before a burst of changes is analysed
        self.debounce = DEBOUNCE
        self.last_change: dict[str, float] = {}
        self.bursting: set[str] = set()
        self.lint_all = False
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recipe-lint")

    # -- analysis ------------------------------------------------------------------------
    def _analyze(self, uri: str, text: str, version: int | None) -> Analysis:
        """Analyse one text (any thread; runs are serialised)."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        with self._lock:
            try:
                result = analyze(text, path, version=version, force=self.lint_all)
            except Exception as e:  # a bug must not take the server down
                log.error("recipe-studio failed on %s\n%s", uri, traceback.format_exc())
                result = Analysis(text=text, path=path, version=version)
                result.diagnostics = [Diagnostic(
                    code="RS999", name="internal-error", severity=Severity.WARNING,
                    message=f"recipe-studio failed on this recipe ({type(e).__name__}: {e}); "
                            "please report it", span=Span(1, 1, 1, 1), path=path)]
        return result

    def _current(self, uri: str) -> tuple[str, int | None, Analysis | None] | None:
        if uri not in self.workspace.text_documents:
            return None
        doc = self.workspace.get_text_document(uri)
        cached = self.analyses.get(uri)
        if cached is not None and (cached.version != doc.version or cached.text != doc.source):
            cached = None
        return doc.source, doc.version, cached

    def analysis(self, uri: str) -> Analysis | None:
        """The analysis of the document's current text (computed now if stale)."""
        current = self._current(uri)
        if current is None:
            return None
        text, version, cached = current
        if cached is None:
            cached = self._analyze(uri, text, version)
            self.analyses[uri] = cached
        return cached

    def converter(self, uri: str) -> tuple[Analysis, Converter] | None:
        analysis = self.analysis(uri)
        if analysis is None:
            return None
        return analysis, Converter(analysis, self.workspace.position_codec)

    def recipe_document(self, uri: str) -> tuple[Analysis, Converter] | None:
        """The analysis and position converter of `uri`, or None when the document is
        unknown or not a recipe this server handles (ignored by the configuration)."""
        found = self.converter(uri)
        if found is None or found[0].ignored:
            return None
        return found

    def schedule(self, uri: str) -> None:
        """Analyse `uri` and publish its diagnostics: at once when the server is idle for
        it, else (a burst of changes) once no change came for `debounce` seconds."""
        self.last_change[uri] = time.monotonic()
        self.pending.add(uri)
        worker = self.workers.get(uri)
        if worker is None or worker.done():
            self.workers[uri] = asyncio.ensure_future(self._work(uri))
        else:
            self.bursting.add(uri)

    async def _work(self, uri: str) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)  # let the notification that scheduled us finish
        while uri in self.pending:
            if uri in self.bursting:
                while (wait := self.last_change.get(uri, 0.0) + self.debounce
                       - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                self.bursting.discard(uri)
            self.pending.discard(uri)
            current = self._current(uri)
            if current is None:
                return
            text, version, cached = current
            if cached is None:
                # in a worker thread, so that changes arriving meanwhile are read (and
                # coalesced) instead of queueing up behind the analysis
                cached = await loop.run_in_executor(self._executor, self._analyze, uri,
                                                    text, version)
                self.analyses[uri] = cached
            if uri in self.pending:
                continue  # the text changed while analysing: analyse the new one first
            if uri in self.workspace.text_documents:
                self.publish_analysis(uri, cached)

    def publish_analysis(self, uri: str, analysis: Analysis) -> None:
        conv = Converter(analysis, self.workspace.position_codec)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=analysis.version, diagnostics=conv.diagnostics(uri)))

    def refresh_all(self) -> None:
        """Re-lint every open document (a configuration file changed)."""
        self.analyses.clear()
        for uri in list(self.workspace.text_documents):
            self.schedule(uri)


def create_server() -> RecipeLanguageServer:
    """A server with every feature registered (start it with `.start_io()`)."""
    server = RecipeLanguageServer()
    _register_lifecycle(server)
    _register_sync(server)
    _register_hover(server)
    _register_completion(server)
    _register_code_actions(server)
    _register_navigation(server)
    _register_formatting(server)
    return server


def _register_lifecycle(server: RecipeLanguageServer) -> None:
    """`initialize`: the initialization options (debounce, lintAllFiles)."""
    @server.feature(types.INITIALIZE)
    def initialize(ls: RecipeLanguageServer, params: types.InitializeParams) -> None:
        options = params.initialization_options or {}
        if isinstance(options, dict):
            try:
                ls.debounce = max(0.0, float(options.get("debounce", DEBOUNCE)))
            except (TypeError, ValueError):
                ls.debounce = DEBOUNCE
            ls.lint_all = bool(options.get("lintAllFiles", False))


def _register_sync(server: RecipeLanguageServer) -> None:
    """Document and watched-file notifications: (re-)analysis and publishing."""
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RecipeLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RecipeLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RecipeLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.rsplit("/", 1)[-1] in CONFIG_NAMES:
            ls.refresh_all()
        else:
            ls.analyses.pop(uri, None)  # the configuration may have changed under it
            ls.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RecipeLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        ls.pending.discard(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: RecipeLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.rsplit("/", 1)[-1] in CONFIG_NAMES for change in params.changes):
            ls.refresh_all()


def _register_hover(server: RecipeLanguageServer) -> None:
    """Hover: field, modifier, variable and value documentation."""
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: RecipeLanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = ls.converter(params.text_document.uri)
        if found is None or found[0].recipe is None:
            return None
        analysis, conv = found
        line, column = conv.from_lsp(params.position)
        from recipe_studio import stubs

        with stubs.using(analysis.stubs):  # the document's modifier stubs, if configured
            result = hover.hover_markdown(analysis, line, column)
        if result is None:
            return None
        text, span = result
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=text),
                           range=conv.range(span))


def _register_completion(server: RecipeLanguageServer) -> None:
    """Completion: tags, keys, fields, values and variables."""
    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["!", "(", " "]))
    def on_completion(ls: RecipeLanguageServer, params: types.CompletionParams
                      ) -> types.CompletionList | None:
        found = ls.recipe_document(params.text_document.uri)
        if found is None:
            return None
        analysis, conv = found
        line, column = conv.from_lsp(params.position)
        from recipe_studio import stubs

        with stubs.using(analysis.stubs):  # the document's modifier stubs, if configured
            completions = completion.complete(analysis, line, column)
        items = []
        for item in completions:
            rng = types.Range(start=conv.position(line, item.replace),
                              end=conv.position(line, column))
            items.append(types.CompletionItem(
                label=item.label,
                kind=_ITEM_KIND.get(item.kind),
                detail=item.detail,
                documentation=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                  value=item.documentation)
                if item.documentation else None,
                sort_text=item.sort,
                filter_text=item.label,
                insert_text_format=types.InsertTextFormat.Snippet if item.snippet
                else types.InsertTextFormat.PlainText,
                insert_text_mode=types.InsertTextMode.AsIs,
                text_edit=types.TextEdit(range=rng, new_text=item.insert)))
        return types.CompletionList(is_incomplete=False, items=items)


def _register_code_actions(server: RecipeLanguageServer) -> None:
    """Quick fixes and fix-all from the diagnostics' fixes."""
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]))
    def on_code_action(ls: RecipeLanguageServer, params: types.CodeActionParams
                       ) -> list[types.CodeAction] | None:
        found = ls.recipe_document(params.text_document.uri)
        if found is None:
            return None
        _, conv = found
        return conv.code_actions(params.text_document.uri, params.range,
                                 params.context.only) or None


def _register_navigation(server: RecipeLanguageServer) -> None:
    """Definition, references and document symbols."""
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: RecipeLanguageServer, params: types.DefinitionParams
                      ) -> list[types.Location] | None:
        found = ls.recipe_document(params.text_document.uri)
        if found is None:
            return None
        analysis, conv = found
        line, column = conv.from_lsp(params.position)
        spans = navigation.definition(analysis, line, column)
        return [types.Location(uri=params.text_document.uri, range=conv.range(s))
                for s in spans] or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: RecipeLanguageServer, params: types.ReferenceParams
                      ) -> list[types.Location] | None:
        found = ls.recipe_document(params.text_document.uri)
        if found is None:
            return None
        analysis, conv = found
        line, column = conv.from_lsp(params.position)
        spans = navigation.references(analysis, line, column,
                                      include_declaration=params.context.include_declaration)
        return [types.Location(uri=params.text_document.uri, range=conv.range(s))
                for s in spans] or None

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: RecipeLanguageServer, params: types.DocumentSymbolParams
                   ) -> list[types.DocumentSymbol] | None:
        found = ls.recipe_document(params.text_document.uri)
        if found is None:
            return None
        analysis, conv = found
        return [types.DocumentSymbol(name=s.name, detail=s.detail,
                                     kind=types.SymbolKind.Class,
                                     range=conv.range(s.span),
                                     selection_range=conv.range(s.selection))
                for s in navigation.symbols(analysis)]


def _register_formatting(server: RecipeLanguageServer) -> None:
    """Document formatting through `recipe_studio.transform.format.format_text`."""
    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(ls: RecipeLanguageServer, params: types.DocumentFormattingParams
                      ) -> list[types.TextEdit] | None:
        found = ls.recipe_document(params.text_document.uri)
        if found is None:
            return None
        analysis, conv = found
        from recipe_studio.transform.format import format_text  # ruamel.yaml: imported on first use

        try:
            new = format_text(analysis.normalized, path=analysis.path)
        except Exception as e:  # FormatError (unreadable YAML, unsafe change): no edits
            message = getattr(e, "message", None) or str(e)
            ls.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning,
                message=f"recipe-studio: cannot format this document: {message}"))
            return None
        if new == analysis.normalized:
            return []
        source = analysis.source
        if source is not None and source.newline != "\n":
            new = new.replace("\n", source.newline)
        return [types.TextEdit(range=conv.offsets(0, len(analysis.normalized)), new_text=new)]


def serve() -> None:
    """Run the server over stdin/stdout until the client exits."""
    create_server().start_io()
