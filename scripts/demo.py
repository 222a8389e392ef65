"""The main job (`make demo`): recipe-studio end to end on the project's examples.

Each step prints the command it runs, then its real output: lint, validate and finalize
the examples; scale the YOLOv5-guide recipes to the demo's epoch budget, diff, show and plot
the schedule; then train dense / pruned / pruned+quantized models on scikit-learn's digits
through SparseML, export them to ONNX and benchmark them in onnxruntime and DeepSparse
(`demo-output/report.json` and one table at the end); then the guide's own architecture,
YOLOv5s at 640x640, through the guide's GMP and QAT recipes on synthetic images (the
`"yolov5s"` section of the report and a second table). `--skip-yolov5s` leaves that out.
Last, two LLM stage recipes (2:4 SparseGPT, then W4A16 by GPTQ or by round-to-nearest)
through llm-compressor 0.14's one-shot on a tiny random Llama (`recipe-studio oneshot`; the
`"oneshot"` section of the report); skipped with a note when llm-compressor's environment
(.venv-llmc) is absent.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUT = ROOT / "demo-output"
CLI = [sys.executable, "-m", "recipe_studio"]
#: the epoch budget every recipe is rescaled to for the digits runs
EPOCHS = 20
#: YOLOv5s: the guide's recipes rescaled to a short budget on synthetic 640x640 images
#: (2 steps of 2 images per epoch), timed at batch 1 and 16 with few iterations: a few
#: minutes on 2 cores
YOLO = {"image_size": 640, "batch_size": 2, "steps": 2, "gmp_epochs": 2, "qat_epochs": 1,
        "batch_sizes": (1, 16), "bench_iterations": 5, "bench_warmup": 2}


def step(title: str, args: list[str], *, expect: set[int] = frozenset({0})) -> int:
    print(f"\n=== {title}", flush=True)
    print("$ recipe-studio " + " ".join(shlex.quote(a) for a in args), flush=True)
    proc = subprocess.run([*CLI, *args], cwd=ROOT, env={**os.environ, "COLUMNS": "100"})
    if proc.returncode not in expect:
        print(f"demo: unexpected exit code {proc.returncode}", file=sys.stderr)
        sys.exit(1)
    print(f"(exit code {proc.returncode})", flush=True)
    return proc.returncode


def main() -> None:
    OUT.mkdir(exist_ok=True)
    good = sorted(str(p.relative_to(ROOT)) for p in EXAMPLES.iterdir()
                  if p.suffix in (".yaml", ".md") and p.name != "broken.yaml")
    step("Lint the examples: the broken recipe shows its diagnostics, the others are clean",
         ["lint", "examples/"], expect={1})
    step("Validate the good examples (all load in SparseML 1.8)", ["validate", *good])
    step("Finalize the variable-driven prune+QAT recipe (eval resolved, anchors expanded)",
         ["finalize", "examples/prune-quantize.yaml"])
    step("Finalize it for a 20-epoch budget with an override",
         ["finalize", "examples/prune-quantize.yaml", "--var", "num_epochs=20", "--format",
          "json", "-o", str((OUT / "prune-quantize.final.json").relative_to(ROOT))])
    step("Finalize the Markdown recipe card", ["finalize", "examples/resnet-pruned.md", "-o",
         str((OUT / "resnet-pruned.final.yaml").relative_to(ROOT))])
    out = OUT.relative_to(ROOT)
    step(f"Scale the YOLOv5 GMP recipe (50 epochs) to the demo's budget of {EPOCHS} epochs",
         ["scale", "examples/yolov5-gmp.yaml", "--epochs", str(EPOCHS), "-o",
          f"{out}/yolov5-gmp.{EPOCHS}ep.yaml"])
    step("What changed, semantically (exit 1: the recipes differ)",
         ["diff", "examples/yolov5-gmp.yaml", f"{out}/yolov5-gmp.{EPOCHS}ep.yaml"], expect={1})
    step(f"Scale the prune + QAT recipe to {EPOCHS} epochs (variables change once, eval() stays)",
         ["scale", "examples/prune-quantize.yaml", "--epochs", str(EPOCHS), "-o",
          f"{out}/prune-quantize.{EPOCHS}ep.yaml"])
    step("Its schedule, as SparseML will run it",
         ["show", f"{out}/prune-quantize.{EPOCHS}ep.yaml", "--steps-per-epoch", "23"])
    step("...and as a picture",
         ["plot", f"{out}/prune-quantize.{EPOCHS}ep.yaml", "--steps-per-epoch", "23", "-o",
          f"{out}/prune-quantize.{EPOCHS}ep.png"])
    report = train_and_benchmark()
    if "--skip-yolov5s" not in sys.argv[1:]:
        yolov5s(report)
    oneshot(report)
    print(f"\nDemo finished in {time.perf_counter() - STARTED:.0f} s; outputs are in {out}/")


def train_and_benchmark() -> dict:
    """Dense vs pruned vs pruned+quantized on digits, through SparseML, ONNX and DeepSparse."""
    print(f"\n=== Train on scikit-learn's digits with SparseML ({EPOCHS} epochs each), export "
          "to ONNX, benchmark in onnxruntime and DeepSparse", flush=True)
    os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
    from recipe_studio.bridge import MissingDependency
    from recipe_studio.bridge.demo import format_table, run, targets

    try:
        report = run(OUT, epochs=EPOCHS, log=lambda line: print(line, flush=True))
    except MissingDependency as e:
        print(f"demo: skipping training: {e}", file=sys.stderr)
        sys.exit(1)
    print("\n=== Results (demo-output/report.json)\n")
    print(format_table(report))
    print(f"\nFor scale: the YOLOv5 guide's pruned-quantized YOLOv5-l is 11 MB vs 143 MB dense "
          f"(13x) with 95% recovery; here, on digits, the pruned-quantized ONNX is "
          f"{ratio(report):.1f}x smaller than dense after gzip with "
          f"{recovery(report):.1%} of dense accuracy.")
    missed = [what for what, ok, _ in targets(report) if not ok]
    if missed:
        print("targets missed: " + "; ".join(missed))
    return report


def yolov5s(report: dict) -> None:
    """YOLOv5s through the guide's two recipes; adds `"yolov5s"` to report.json."""
    from recipe_studio.bridge.demo import format_yolov5s_table, run_yolov5s
    from recipe_studio.bridge.trainer import write_json

    out = OUT.relative_to(ROOT)
    for name, epochs in (("gmp", YOLO["gmp_epochs"]), ("qat", YOLO["qat_epochs"])):
        step(f"Scale the guide's {name.upper()} recipe to the YOLOv5s run's {epochs} epoch(s)",
             ["scale", f"examples/yolov5-{name}.yaml", "--epochs", str(epochs), "-o",
              f"{out}/yolov5-{name}.{epochs}ep.yaml"])
    print(f"\n=== YOLOv5s ({YOLO['image_size']}x{YOLO['image_size']}, the guide's architecture, "
          "random weights) through the same recipes on synthetic images, exported and "
          "benchmarked in onnxruntime and DeepSparse", flush=True)
    section = run_yolov5s(OUT / "yolov5s", log=lambda line: print(line, flush=True), **YOLO)
    report["yolov5s"] = section
    write_json(OUT / "report.json", report)
    print("\n=== YOLOv5s results (demo-output/report.json, \"yolov5s\")\n")
    print(format_yolov5s_table(section))


#: the LLM step: 2:4 SparseGPT then W4A16 by GPTQ (lint warns, RS521: GPTQ refills pruned
#: weights) and by round-to-nearest (QuantizationModifier, the rule's suggestion)
LLM_RECIPE = """\
# 2:4 SparseGPT, then {quantizer} W4A16 (llm-compressor 0.14); written by scripts/demo.py
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      mask_structure: "2:4"
      targets: ['re:.*layers.*proj$']
      ignore: [lm_head]
quant_stage:
  quant_modifiers:
    {quantizer}:
      targets: [Linear]
      scheme: W4A16
      ignore: [lm_head]
"""
LLM_RUNS = {"sparse24-gptq-w4a16": "GPTQModifier", "sparse24-rtn-w4a16": "QuantizationModifier"}


def oneshot(report: dict) -> None:
    """Stage recipes through llm-compressor's one-shot on a tiny Llama; adds `"oneshot"`
    (one entry per recipe of LLM_RUNS)."""
    import json

    from recipe_studio.bridge.trainer import write_json
    from recipe_studio.judges import available

    why = available("llmcompressor")
    if why:
        print(f"\n=== One-shot LLM compression skipped: {why}", flush=True)
        return
    out = OUT.relative_to(ROOT)
    step("Build a tiny Llama (random weights, its own tokenizer; nothing downloaded)",
         ["oneshot", "--tiny-model", f"{out}/tiny-llama"])
    titles = {
        "GPTQModifier": "2:4 SparseGPT + GPTQ W4A16 (lint warns RS521: GPTQ refills the "
                        "pruned weights; exit 1: the 2:4 check is not held)",
        "QuantizationModifier": "2:4 SparseGPT + round-to-nearest W4A16 (RS521's suggestion)",
    }
    report["oneshot"] = {}
    for name, quantizer in LLM_RUNS.items():
        recipe = OUT / f"llm-{name}.yaml"
        recipe.write_text(LLM_RECIPE.format(quantizer=quantizer), encoding="utf-8")
        step(f"One-shot the tiny Llama in llm-compressor 0.14: {titles[quantizer]}; then check "
             "the checkpoint against the recipe",
             ["oneshot", "--recipe", f"{out}/{recipe.name}", "--model", f"{out}/tiny-llama",
              "--output", f"{out}/tiny-llama-{name}", "--report", f"{out}/oneshot-{name}.json"],
             expect={0, 1})
        report["oneshot"][name] = json.loads((OUT / f"oneshot-{name}.json").read_text(
            encoding="utf-8"))
    write_json(OUT / "report.json", report)


def ratio(report: dict) -> float:
    return report["dense"]["onnx_gzip_bytes"] / report["pruned_quantized"]["onnx_gzip_bytes"]


def recovery(report: dict) -> float:
    return report["pruned_quantized"]["accuracy"] / report["dense"]["accuracy"]


STARTED = time.perf_counter()


if __name__ == "__main__":
    main()
