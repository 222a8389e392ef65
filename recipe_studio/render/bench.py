"""A benchmark report (`bridge.benchmark.BenchReport`) as a table or as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from recipe_studio.bridge.benchmark import BenchReport


def render_text(report: BenchReport, stream: IO[str], *, color: bool | None = None) -> None:
    """The latency table, then DeepSparse's speed-up over onnxruntime per batch size."""
    from rich.table import Table

    from recipe_studio.render.console import make_console

    console = make_console(stream, color)
    m = report.machine
    isa = f", DeepSparse ISA {m['deepsparse_isa']}" if m.get("deepsparse_isa") else ""
    vnni = f", VNNI {'yes' if m['vnni'] else 'no'}" if m.get("vnni") is not None else ""
    console.print(f"{report.model}  ({m.get('cpu_count')} CPUs{isa}{vnni})")
    table = Table(show_edge=False, pad_edge=False, box=None)
    for col, justify in (("engine", "left"), ("batch", "right"), ("median ms", "right"),
                         ("p90 ms", "right"), ("items/s", "right"), ("setup s", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in report.results:
        if r.skipped:
            table.add_row(r.engine, str(r.batch_size), "-", "-", "-", "-")
            continue
        table.add_row(r.engine, str(r.batch_size), f"{r.median_ms:.3f}", f"{r.p90_ms:.3f}",
                      f"{r.throughput:,.0f}", f"{r.setup_s:.2f}")
    console.print(table)
    for r in report.results:
        if r.skipped:
            console.print(f"skipped {r.engine} at batch {r.batch_size}: {r.skipped}")
    for bs in sorted({r.batch_size for r in report.results}):
        ort, ds = report.get("onnxruntime", bs), report.get("deepsparse", bs)
        if ort and ds and ort.median_ms and ds.median_ms:
            ratio = ort.median_ms / ds.median_ms
            factor, word = (ratio, "faster") if ratio >= 1 else (1 / ratio, "slower")
            console.print(f"batch {bs}: DeepSparse is {factor:.2f}x {word} than onnxruntime "
                          "(median latency)")


def render_json(report: BenchReport, stream: IO[str], *, color: bool | None = None) -> None:
    import json

    stream.write(json.dumps(report.to_dict(), indent=2) + "\n")


#: `--format` name → renderer
RENDERERS: dict[str, Callable[..., None]] = {"text": render_text, "json": render_json}
