"""`recipe-studio stubs`: describe the user's own modifier classes in a JSON catalogue."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import EXIT_PROBLEMS, usage_error


@app.command()
def stubs(
    modules: Annotated[list[str], typer.Argument(
        metavar="MODULE...", help="Modules that define or register modifier classes "
                                  "(imported with `--python`; packages with their "
                                  "submodules).")],
    python: Annotated[Optional[str], typer.Option(
        "--python", metavar="PATH", help="The interpreter of the environment that has the "
                                        "modules (default: this one).")] = None,
    out: Annotated[Optional[str], typer.Option(
        "--out", "-o", metavar="FILE", help="Write the catalogue to this file (default: "
                                            "standard output).")] = None,
) -> None:
    """Write a catalogue of the modifier classes MODULE... registers.

    Classic SparseML modifiers (`@PyTorchModifierYAML()`: their constructor's parameters)
    and new-style pydantic modifiers (`sparseml.core` and llm-compressor `Modifier`
    subclasses: their fields). The modules are imported in a child process with `--python`;
    `modifier-stubs = ["FILE"]` in the configuration makes validate, lint, schema and the
    language server know them, without importing anything.

    Exit code 0: written; 1: the modules could not be imported or register no modifier;
    2: usage.
    """
    from recipe_studio.stubs import generate

    if not modules:
        raise usage_error("name at least one module")
    try:
        catalogue = generate.introspect(modules, python=python)
    except generate.StubsError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(EXIT_PROBLEMS) from None
    found = catalogue["modifiers"]
    if out is None or out == "-":
        sys.stdout.write(generate.render(catalogue))
    else:
        try:
            generate.write(catalogue, out)
        except OSError as e:
            typer.echo(f"error: cannot write `{out}`: {e.strerror or e}", err=True)
            raise typer.Exit(EXIT_PROBLEMS) from None
    names = ", ".join(f"{'!' if m['kind'] == 'classic' else ''}{m['name']}" for m in found)
    typer.echo(f"{len(found)} modifier{'s' if len(found) != 1 else ''}"
               + (f": {names}" if names else "") + (f" -> {out}" if out and out != "-" else ""),
               err=True)
    if not found:
        typer.echo(f"error: {', '.join(modules)} register no modifier class", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
