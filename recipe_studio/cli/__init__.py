"""The `recipe-studio` command line: a thin typer layer over the library.

Each command lives in its own module and only parses options, calls one library
function, renders, and exits: 0 clean, 1 problems found, 2 usage or I/O errors.
"""

from __future__ import annotations

import os
import sys

# The CLI process has no use for pydantic plugins; looking them up (an entry-point scan)
# costs ~15 ms of every cold start.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

app = typer.Typer(
    name="recipe-studio",
    help="Validate, lint, scale, diff and run SparseML recipes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# command modules register themselves on `app`
from recipe_studio.cli import bench as _bench  # noqa: E402,F401
from recipe_studio.cli import diff as _diff  # noqa: E402,F401
from recipe_studio.cli import finalize as _finalize  # noqa: E402,F401
from recipe_studio.cli import format as _format  # noqa: E402,F401
from recipe_studio.cli import lint as _lint  # noqa: E402,F401
from recipe_studio.cli import lsp as _lsp  # noqa: E402,F401
from recipe_studio.cli import new as _new  # noqa: E402,F401
from recipe_studio.cli import plot as _plot  # noqa: E402,F401
from recipe_studio.cli import rule as _rule  # noqa: E402,F401
from recipe_studio.cli import scale as _scale  # noqa: E402,F401
from recipe_studio.cli import schema as _schema  # noqa: E402,F401
from recipe_studio.cli import show as _show  # noqa: E402,F401
from recipe_studio.cli import train as _train  # noqa: E402,F401
from recipe_studio.cli import validate as _validate  # noqa: E402,F401


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """Validate, lint, scale, diff and run SparseML recipes."""
    if version:
        from recipe_studio import __version__

        typer.echo(f"recipe-studio {__version__}")
        raise typer.Exit(0)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. Internal errors become one line and exit code 2."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or \
        os.environ.get("RECIPE_STUDIO_DEBUG") == "1"
    args = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--debug"]
    try:
        app(args=args, prog_name="recipe-studio", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
    except Exception as e:  # the CLI never shows a traceback unless asked to
        if debug:
            raise
        sys.stderr.write(f"recipe-studio: internal error: {type(e).__name__}: {e}\n"
                         "This is a bug; please report it (run with --debug for the "
                         "traceback).\n")
        raise SystemExit(2) from None
