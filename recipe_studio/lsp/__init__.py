"""`recipe-studio lsp`: a language server for SparseML recipes (pygls 2.x, stdio).

The server runs the complete lint engine on every open recipe (``.yaml`` files and
Markdown recipe cards) and answers hover, completion, code-action, definition, reference,
document-symbol and formatting requests from the same analysis.

Modules:

* :mod:`.analysis` — one analysed document (text → :class:`~recipe_studio.read.source.Source`
  → :class:`~recipe_studio.read.recipe.Recipe` → lint diagnostics) and position lookups;
* :mod:`.hover`, :mod:`.completion`, :mod:`.navigation` — the features, as plain
  functions over an analysis (1-based positions, like :class:`~recipe_studio.diagnostics.Span`);
* :mod:`.convert` — recipe-studio spans, edits and diagnostics ↔ LSP types;
* :mod:`.server` — the pygls server: document sync, debounced diagnostics, handlers.

pygls and lsprotocol are imported by :mod:`.server` and :mod:`.convert` only; nothing
outside this package imports it (``recipe-studio lsp`` imports it inside the command).
"""
