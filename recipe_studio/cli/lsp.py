"""`recipe-studio lsp`: the recipe language server, over stdio."""

from __future__ import annotations

from typing import Annotated

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import usage_error


@app.command()
def lsp(
    stdio: Annotated[bool, typer.Option(
        "--stdio", help="Talk LSP over stdin/stdout (the default and only transport; "
                        "accepted because many clients pass it).")] = True,
) -> None:
    """Run the recipe language server over stdin/stdout (editors start it themselves).

    Diagnostics from the full lint engine, hover, completion, fixes, navigation, formatting.

    See docs/editors.md for VS Code, Neovim and Helix.
    """
    try:
        from recipe_studio.lsp.server import serve
    except ImportError as e:
        raise usage_error(f"`recipe-studio lsp` needs pygls 2 ({e}); install the `lsp` "
                          "extra: pip install 'recipe-studio[lsp]'") from None
    serve()
