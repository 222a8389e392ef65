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
# pydantic < 2.10 checks every core schema it generates against the schema of schemas (a
# self-check of pydantic's own output, ~20 ms per cold start); 2.10 and later only do when
# asked (PYDANTIC_VALIDATE_CORE_SCHEMAS). Presence is what counts; children inherit it.
os.environ.setdefault("PYDANTIC_SKIP_VALIDATING_CORE_SCHEMAS", "1")


def _without_plugin_loader() -> None:
    """With plugins disabled, pydantic's `get_plugins()` answers `()` before it looks at an
    entry point, but importing its module imports `importlib.metadata` (~10 ms). Stand in
    for that module with one whose `get_plugins()` gives the same answer; any other name
    asked of it loads the real module."""
    name = "pydantic.plugin._loader"
    if name in sys.modules or \
            os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in ("__all__", "1", "true"):
        return
    import types

    stub = types.ModuleType(name, "recipe-studio: pydantic plugins are disabled")

    def get_plugins() -> tuple[()]:
        if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true"):
            return ()
        return _real_loader().get_plugins()

    def _real_loader() -> types.ModuleType:
        import importlib

        if sys.modules.get(name) is stub:
            del sys.modules[name]
        return importlib.import_module(name)

    def __getattr__(attr: str) -> object:
        if attr.startswith("__"):  # the import system asks for `__path__` and the like
            raise AttributeError(attr)
        return getattr(_real_loader(), attr)

    stub.get_plugins = get_plugins  # type: ignore[attr-defined]
    stub.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[name] = stub


_without_plugin_loader()

import typer  # noqa: E402

from recipe_studio.cli.help import HelpGroup  # noqa: E402

app = typer.Typer(
    cls=HelpGroup,
    name="recipe-studio",
    help="Validate, lint, scale, diff and run SparseML recipes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

from recipe_studio.cli.commands import COMMANDS  # noqa: E402  (the table of commands)


def load_commands(argv: list[str] | None = None) -> None:
    """Register the command `argv` runs, or every command when it names none (help,
    `--version`, a typo). A cold `validate` then never imports the other commands' modules."""
    import importlib

    first = next((a for a in argv or () if not a.startswith("-")), None)
    names = [first] if first in COMMANDS else list(COMMANDS)
    for name in names:
        importlib.import_module(f"recipe_studio.cli.{COMMANDS[name]}")


def _print_version(value: bool) -> None:
    if value:
        from recipe_studio import __version__

        typer.echo(f"recipe-studio {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", is_eager=True,
                                 callback=_print_version, expose_value=False,
                                 help="Print the version and exit."),
) -> None:
    """Validate, lint, scale, diff and run SparseML recipes."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. Internal errors become one line and exit code 2."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or \
        os.environ.get("RECIPE_STUDIO_DEBUG") == "1"
    args = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--debug"]
    load_commands(args)
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
