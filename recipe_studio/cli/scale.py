"""`recipe-studio scale PATH --epochs N`: the same recipe for another epoch budget."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, parse_overrides, print_diagnostics, usage_error,
)
from recipe_studio.cli.options import (
    ColorOption, OutputFormat, DiffOption, ForceOption, VarOption, VarsOption, epochs_option,
    output_option, quiet_option,
)


@app.command()
def scale(
    path: Annotated[str, typer.Argument(metavar="PATH",
                                        help="The recipe file (.yaml or .md).")],
    epochs: Annotated[float, epochs_option(
        "The new training length in epochs (SparseML's max_epochs).")],
    output: Annotated[Optional[str], output_option(
        "Write the scaled recipe to this file (atomically).")] = None,
    in_place: Annotated[bool, typer.Option(
        "--in-place", "-i", help="Rewrite PATH (atomically).")] = False,
    keep_quantization: Annotated[bool, typer.Option(
        "--keep-quantization", help="Keep the QAT tail at its length; fit the rest into the "
                                    "new budget.")] = False,
    round_: Annotated[Optional[int], typer.Option(
        "--round", metavar="DECIMALS", min=0, max=12,
        help="Round every value written to this many decimals (0 to 12).")] = None,
    diff: DiffOption = False,
    quiet: Annotated[bool, quiet_option("Print no summary of the changes.")] = False,
    force: ForceOption = False,
    var: VarOption = None,
    vars_: VarsOption = None,
    color: ColorOption = None,
) -> None:
    """Rescale every epoch of a recipe to a new budget, editing each value once.

    Variables and anchors are changed where they are defined (so `eval()` expressions
    follow), comments, quotes, anchors and Markdown prose are kept, and the result loads in
    SparseML with `max_epochs` equal to --epochs. Without -o or --in-place the recipe is
    printed. Exit 0 on success, 1 when the recipe cannot be scaled, 2 for usage or I/O errors.
    """
    from recipe_studio.lint.fix import unified_diff
    from recipe_studio.transform.scale import ScaleError, scale_file, write_result

    if output and in_place:
        raise usage_error("use either --output or --in-place, not both")
    from recipe_studio.cli.stage_support import stubs_for
    from recipe_studio.stubs import using

    overrides = parse_overrides(var, vars_)
    try:
        with using(stubs_for(path)):  # the modifier stubs of its configuration
            result = scale_file(path, epochs, keep_quantization=keep_quantization,
                                round_decimals=round_, overrides=overrides)
    except ScaleError as e:
        if e.diagnostics:
            recipe = e.recipe  # as loaded for scaling: the file is read once
            assert recipe is not None
            print_diagnostics(e.diagnostics, {recipe.path: recipe}, OutputFormat.text,
                              stream=sys.stderr, color=color, summary=False)
            if any(d.code == "RS001" for d in e.diagnostics):
                raise typer.Exit(EXIT_USAGE) from None
        typer.echo(f"recipe-studio: cannot scale `{path}`: {e.message}", err=True)
        raise typer.Exit(EXIT_PROBLEMS) from None

    if diff:
        if not quiet:
            _summary(path, result)
        sys.stdout.write(unified_diff(path, result.before, result.after))
        raise typer.Exit(EXIT_OK)
    target = path if in_place else output
    if target is None:
        if not quiet:
            _summary(path, result)
        sys.stdout.write(result.after)
        raise typer.Exit(EXIT_OK)
    if in_place and not result.changed:
        if not quiet:
            _summary(path, result)  # nothing to change: the file is not touched
        raise typer.Exit(EXIT_OK)
    from recipe_studio.io import write_error_message

    try:
        write_result(result, target, force=force)
    except OSError as e:  # nothing was written: no summary of changes, no "wrote"
        raise usage_error(write_error_message(target, e, force_option="--force")) from None
    if not quiet:
        _summary(path, result)
        typer.echo(f"wrote {target}", err=True)


def _summary(path: str, result: object) -> None:
    from recipe_studio.transform.scale import ScaleResult

    assert isinstance(result, ScaleResult)
    err = sys.stderr
    if not result.changed:
        err.write(f"{path}: already {result.old_epochs:g} epochs; nothing to change\n")
        return
    what = f"{path}: {result.old_epochs:g} → {result.new_epochs:g} epochs"
    if result.qat_start:
        old, new = result.qat_start
        what += (f", QAT tail kept ({result.old_epochs - old:g} epochs, now from epoch "
                 f"{new:g}); epochs before it ×{result.ratio:.6g}")
    else:
        what += f" (×{result.ratio:.6g})"
    n = len(result.changes)
    err.write(f"{what}: {n} value{'s' if n != 1 else ''} changed\n")
    width = max(len(c.what) for c in result.changes)
    width = min(width, 60)
    for c in result.changes:
        old = c.old if c.old else "(default)"
        err.write(f"  line {c.line:<4} {c.what:<{width}}  {old} → {c.new}\n")
    for note in result.notes:
        err.write(f"  note: {note}\n")
    for name, value in result.overrides.items():
        err.write(f"  note: `{name}` comes from --var; use --var {name}={value:g} with the "
                  "scaled recipe\n")
