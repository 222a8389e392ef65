"""`recipe-studio diff A B`: what SparseML would do differently with two recipes."""

from __future__ import annotations

import enum
import json
import sys
from typing import IO, Annotated, Any

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import (
    EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, parse_overrides, print_diagnostics,
)
from recipe_studio.cli.options import (
    ColorOption, DiagnosticFormat, TargetOption, VarOption, VarsOption, format_option,
)


class DiffFormat(str, enum.Enum):
    text = "text"
    json = "json"


@app.command()
def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="The first recipe.")],
    b: Annotated[str, typer.Argument(metavar="B", help="The second recipe.")],
    format: Annotated[DiffFormat, format_option()] = DiffFormat.text,
    var: VarOption = None,
    vars_: VarsOption = None,
    color: ColorOption = None,
    target: TargetOption = None,
) -> None:
    """Compare two recipes by what SparseML does with them, not by their text.

    Layout, comments, key order, anchors versus literals and `!pytorch.` prefixes are not
    differences. Exit 0 when equivalent, 1 when different, 2 on error.

    Stage recipes: modifiers are paired across stages (by stage, group and type) and their
    arguments compared as the library receives them (`--target` picks the library).
    """
    from recipe_studio.cli.stage_support import diff_stages, load_with_target
    from recipe_studio.diff.semantic import DiffError, diff_recipes

    overrides = parse_overrides(var, vars_)
    ra = load_with_target(a, overrides, target)
    rb = load_with_target(b, overrides, target)
    if ra.stage_recipe is not None or rb.stage_recipe is not None:  # diff/stages.py
        diff_stages(ra, rb, a, b, overrides, format.value, color)
    try:
        result = diff_recipes(ra, rb)
    except DiffError as e:
        recipe = e.recipe
        if recipe is not None and recipe.diagnostics:
            print_diagnostics(recipe.errors or recipe.diagnostics, {recipe.path: recipe},
                              DiagnosticFormat.text, stream=sys.stderr, color=color,
                              summary=False)
        typer.echo(f"recipe-studio: cannot compare: {e.message}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if format is DiffFormat.json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render_text(result, a, b, sys.stdout)
    raise typer.Exit(EXIT_OK if result.equivalent else EXIT_PROBLEMS)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_fmt(k)}: {_fmt(v)}" for k, v in value.items()) + "}"
    return str(value)


def render_text(result: Any, name_a: str, name_b: str, out: IO[str]) -> None:
    """The schedule summary, then one line per difference."""
    from recipe_studio.diff.semantic import key_epochs

    sa, sb = result.summary_a, result.summary_b
    rows: list[tuple[str, str, str]] = [
        ("total epochs", _fmt(sa.total_epochs), _fmt(sb.total_epochs)),
        ("QAT start", _fmt(sa.qat_start), _fmt(sb.qat_start)),
    ]
    pairs = dict(result.pairs)
    back = {j: i for i, j in result.pairs}
    shown: set[int] = set()
    for i, value in sa.final_sparsity.items():
        m = result.a.modifiers[i]
        j = pairs.get(i)
        rows.append((f"final sparsity, {m.type} (line {m.line})", _fmt(value),
                     _fmt(sb.final_sparsity.get(j)) if j is not None else "-"))
        if j is not None:
            shown.add(j)
    for j, value in sb.final_sparsity.items():
        if j not in shown:
            m = result.b.modifiers[j]
            i = back.get(j)
            rows.append((f"final sparsity, {m.type} (line {m.line})",
                         _fmt(sa.final_sparsity.get(i)) if i is not None else "-", _fmt(value)))
    for epoch in key_epochs(sa, sb):
        rows.append((f"learning rate at epoch {epoch:g}", _fmt(sa.lr.get(epoch, _lr(sa, epoch))),
                     _fmt(sb.lr.get(epoch, _lr(sb, epoch)))))
    w0 = max(len(r[0]) for r in rows)
    w1 = max([len(name_a)] + [len(r[1]) for r in rows])
    out.write(f"{'schedule':<{w0}}  {name_a:<{w1}}  {name_b}\n")
    for label, x, y in rows:
        mark = " " if x == y else "*"
        out.write(f"{label:<{w0}}  {x:<{w1}}  {y}  {mark}\n".rstrip() + "\n")
    for s, name in ((sa, name_a), (sb, name_b)):
        if s.note:
            out.write(f"note: {name}: {s.note}\n")
    out.write("\n")
    if result.equivalent:
        out.write("equivalent: SparseML builds the same modifiers from both recipes\n")
        return
    current = None
    for c in result.changes:
        if c.kind == "changed":
            key = (c.index_a, c.index_b)
            if key != current:
                current = key
                out.write(f"~ !{c.type}  (line {c.line_a} → line {c.line_b})\n")
            via = f"   (via `{c.via_variable}`)" if c.via_variable else ""
            out.write(f"    {c.field}: {_fmt(c.a)} → {_fmt(c.b)}{via}\n")
        else:
            current = None
            sign, line, values = (("-", c.line_a, c.a) if c.kind == "removed" else
                                  ("+", c.line_b, c.b))
            out.write(f"{sign} !{c.type}  ({c.kind}, line {line})\n")
            fields = ", ".join(f"{k}: {_fmt(v)}" for k, v in (values or {}).items()
                               if k in ("start_epoch", "end_epoch", "params", "init_sparsity",
                                        "final_sparsity", "learning_rate", "init_lr",
                                        "lr_class", "lr_func"))
            if fields:
                out.write(f"    {fields}\n")
    n = len(result.changes)
    out.write(f"\n{n} difference{'s' if n != 1 else ''}\n")


def _lr(summary: Any, epoch: float) -> Any:
    """The learning rate at an epoch the other schedule has a key point at."""
    if epoch > max(summary.total_epochs, 1):
        return None  # after this recipe's training ends
    keys = sorted(k for k in summary.lr if k <= epoch)
    return summary.lr[keys[-1]] if keys else None
