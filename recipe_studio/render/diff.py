"""A semantic diff (`diff.semantic.DiffResult`) as text: the schedule summary side by side,
then one line per difference; or as JSON (:meth:`DiffResult.to_dict`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from recipe_studio.numbers import rounded_value


def render_text(result: Any, name_a: str, name_b: str, out: IO[str]) -> None:
    """The schedule summary, then one line per difference."""
    from recipe_studio.diff.semantic import key_epochs

    sa, sb = result.summary_a, result.summary_b
    rows: list[tuple[str, str, str]] = [
        ("total epochs", rounded_value(sa.total_epochs), rounded_value(sb.total_epochs)),
        ("QAT start", rounded_value(sa.qat_start), rounded_value(sb.qat_start)),
    ]
    pairs = dict(result.pairs)
    back = {j: i for i, j in result.pairs}
    shown: set[int] = set()
    for i, value in sa.final_sparsity.items():
        m = result.a.modifiers[i]
        j = pairs.get(i)
        rows.append((f"final sparsity, {m.type} (line {m.line})", rounded_value(value),
                     rounded_value(sb.final_sparsity.get(j)) if j is not None else "-"))
        if j is not None:
            shown.add(j)
    for j, value in sb.final_sparsity.items():
        if j not in shown:
            m = result.b.modifiers[j]
            i = back.get(j)
            rows.append((f"final sparsity, {m.type} (line {m.line})",
                         rounded_value(sa.final_sparsity.get(i)) if i is not None else "-",
                         rounded_value(value)))
    for epoch in key_epochs(sa, sb):
        rows.append((f"learning rate at epoch {epoch:g}",
                     rounded_value(sa.lr.get(epoch, _lr(sa, epoch))),
                     rounded_value(sb.lr.get(epoch, _lr(sb, epoch)))))
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
            out.write(f"    {c.field}: {rounded_value(c.a)} → {rounded_value(c.b)}{via}\n")
        else:
            current = None
            sign, line, values = (("-", c.line_a, c.a) if c.kind == "removed" else
                                  ("+", c.line_b, c.b))
            out.write(f"{sign} !{c.type}  ({c.kind}, line {line})\n")
            fields = ", ".join(f"{k}: {rounded_value(v)}" for k, v in (values or {}).items()
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


def render_json(result: Any, name_a: str, name_b: str, out: IO[str]) -> None:
    """`DiffResult.to_dict()`, indented (the names are in it already)."""
    import json

    json.dump(result.to_dict(), out, indent=2)
    out.write("\n")


#: `--format` name → renderer
RENDERERS: dict[str, Callable[[Any, str, str, IO[str]], None]] = {
    "text": render_text, "json": render_json,
}
