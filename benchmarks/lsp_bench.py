"""Latency of `recipe-studio lsp`: time from `textDocument/didChange` to the matching
`textDocument/publishDiagnostics`, for a 300-line recipe, over stdio.

A real client (pytest-lsp's, built on pygls) starts the server, opens the recipe, then
makes N one-character edits one after the other (each waits for its diagnostics, like a
fast typist); every other edit makes a sparsity invalid so the full pipeline (load, all
lint rules, conversion) runs with and without findings. Prints the median and p95.

    python benchmarks/lsp_bench.py [--lines 300] [--edits 50] [--file RECIPE] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-c",
          "import recipe_studio.cli.lsp; from recipe_studio.cli import main; main(['lsp'])"]


def recipe(lines: int) -> str:
    """A realistic recipe of about `lines` lines: variables, an LR schedule, one GMP
    pruner per block of layers (with eval() and anchors), and QAT."""
    out = ["version: 1.1.0", "", "num_epochs: &num_epochs 100.0", "init_lr: 0.05",
           "final_lr: 0.0001", "prune_start: &prune_start 5.0", "prune_end: 60.0",
           "update_freq: 1.0", "qat_start: 90.0", "",
           "training_modifiers:", "  - !EpochRangeModifier", "    start_epoch: 0.0",
           "    end_epoch: *num_epochs", "",
           "  - !LearningRateFunctionModifier", "    start_epoch: 0.0",
           "    end_epoch: eval(num_epochs)", "    lr_func: cosine",
           "    init_lr: eval(init_lr)", "    final_lr: eval(final_lr)", "",
           "pruning_modifiers:"]
    block = 0
    while len(out) + 10 + 5 <= lines:
        out += ["  - !GMPruningModifier",
                f"    params: ['re:sections.{block}.*conv.*weight']",
                "    init_sparsity: 0.05",
                f"    final_sparsity: 0.8{block % 10}",
                "    start_epoch: *prune_start",
                "    end_epoch: eval(prune_end)",
                "    update_frequency: eval(update_freq)",
                "    inter_func: cubic",
                "    leave_enabled: true", ""]
        block += 1
    out += ["quantization_modifiers:", "  - !QuantizationModifier",
            "    start_epoch: eval(qat_start)", "    submodules: ['model']", ""]
    return "\n".join(out)


async def measure(text: str, edits: int) -> dict[str, object]:
    from lsprotocol import types
    from pygls.protocol import default_converter
    from pytest_lsp import LanguageClient, client_capabilities
    from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

    arrived: dict[int, float] = {}
    counts: dict[int, int] = {}
    client = LanguageClient(converter_factory=default_converter)

    def publish(ls: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish})
    uri = (ROOT / "bench-recipe.yaml").as_uri()  # never written: the text is sent
    await client.start_io(*SERVER)
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=ROOT.as_uri()))
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1,
                                                 text=text)))
        await wait(arrived, 1)
        target = next(i for i, line in enumerate(text.splitlines())
                      if line.strip().startswith("final_sparsity: 0."))
        column = text.splitlines()[target].index("0.")
        latencies = []
        for version in range(2, edits + 2):
            # `0.8` <-> `1.8`: an out-of-range sparsity on every other edit
            digit = "1" if version % 2 == 0 else "0"
            start = time.perf_counter()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=target, character=column),
                                      end=types.Position(line=target,
                                                         character=column + 1)),
                    text=digit)]))
            await wait(arrived, version)
            latencies.append(arrived[version] - start)
        await client.shutdown_session()
    finally:
        await client.stop()
    ms = sorted(x * 1000 for x in latencies)
    return {
        "lines": len(text.splitlines()),
        "edits": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": ms[max(0, round(0.95 * len(ms)) - 1)],
        "min_ms": ms[0],
        "max_ms": ms[-1],
        "diagnostics_per_edit": sorted(set(counts[v] for v in range(2, edits + 2))),
    }


async def wait(arrived: dict[int, float], version: int, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while version not in arrived:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no diagnostics for version {version}")
        await asyncio.sleep(0.0005)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=300, help="size of the recipe (lines)")
    ap.add_argument("--edits", type=int, default=50, help="number of edits measured")
    ap.add_argument("--file", type=Path, help="benchmark this recipe instead (it needs a "
                                              "`final_sparsity: 0.x` line)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    text = args.file.read_text() if args.file else recipe(args.lines)
    result = asyncio.run(measure(text, args.edits))
    print(f"recipe-studio lsp: didChange -> publishDiagnostics, {result['lines']}-line "
          f"recipe, {result['edits']} edits")
    print(f"  median {result['median_ms']:.1f} ms   p95 {result['p95_ms']:.1f} ms   "
          f"(min {result['min_ms']:.1f}, max {result['max_ms']:.1f}; diagnostics per edit: "
          f"{result['diagnostics_per_edit']})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
