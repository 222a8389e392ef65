"""Does sparsity buy speed? ResNet-50 (or -18) at 224x224, fp32 and int8, onnxruntime vs
DeepSparse, in one run (prints the table, writes a JSON).

The network is the project's QAT-ready ResNet (`recipe_studio.bridge.convnets`: SparseML's
block layout, FloatFunctional residual adds; random weights, seeded, batch-norm statistics
settled on random batches as a trained model's would be). For each sparsity it goes through
the project's own pipeline:

1. one-shot magnitude pruning with a recipe (`!GMPruningModifier` on `__ALL_PRUNABLE__`, every
   conv and linear weight at the same sparsity; `recipe_studio.bridge.apply_oneshot`, i.e.
   SparseML's `manager.apply`). The mask suits the deployment target, as SparseML's own
   recipes choose it: `unstructured` for the fp32 models, `block4` (zeros in blocks of 4
   along the input channels, `mask_type: block4`) for the int8 ones — SparseML's recipe
   template prunes with `block4` for its `vnni` target and its pruned-quantized ResNet-50
   recipes prune in 1x4 blocks, because DeepSparse's sparse int8 kernels multiply 4 int8
   values at a time (VNNI); unstructured zeros are ~1.6x slower there (`--int8-mask-type`);
2. int8 variant: SparseML's legacy QuantizationModifier on `input` and `sections`
   (`recipe_studio.bridge.qat.RESNET_QAT_RECIPE`, conv-BN(-ReLU) fused first), observers
   calibrated on random batches with the weights unchanged (`recipe_studio.bridge.qat.quantize`);
3. `recipe_studio.bridge.export_onnx` (SparseML's exporter, `convert_qat=True`, BN folded,
   zeros checked, gzip size at gzip's default level 6);
4. `recipe_studio.bridge.bench` in onnxruntime (this process) and DeepSparse (a child
   process: an engine failure is a row with its cause), batch 1 and 16; for int8 models
   DeepSparse's outputs are also compared with onnxruntime's on the same file.

Random weights make accuracy meaningless here; only speed and size are measured. The table
is headed by the CPU as DeepSparse sees it (ISA, VNNI) and the load average, which matters
on a shared machine.

    python benchmarks/sparse_inference.py [--arch resnet50] [--sparsities 0,0.8,0.9,0.95]
        [--batch-sizes 1,16] [--iterations 20] [--warmup 3] [--no-int8]
        [--fp32-mask-type unstructured] [--int8-mask-type block4]
        [--json sparse_inference.json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")

#: the pruning mask for each precision (see the module docstring)
MASK_TYPES = {"fp32": "unstructured", "int8": "block4"}  # block4: qat.INT8_MASK_TYPE

#: the issue's goals for the 90%-pruned int8 model vs the dense fp32 one
SPEEDUP_GOAL = 8.0   # DeepSparse int8 vs onnxruntime fp32, batch 16
GZIP_GOAL = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="resnet50", choices=("resnet18", "resnet50"))
    parser.add_argument("--sparsities", default="0,0.8,0.9,0.95")
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--no-int8", action="store_true", help="fp32 models only")
    parser.add_argument("--fp32-mask-type", default=MASK_TYPES["fp32"],
                        help="GMPruningModifier mask_type for the fp32 models "
                             "(default: %(default)s)")
    parser.add_argument("--int8-mask-type", default=MASK_TYPES["int8"],
                        help="GMPruningModifier mask_type for the int8 models "
                             "(default: %(default)s, DeepSparse's VNNI int8 kernels)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default="sparse_inference.json",
                        help="write the results here (default: %(default)s)")
    parser.add_argument("--keep", help="keep the ONNX files in this directory")
    parser.add_argument("--goal-rounds", type=int, default=5,
                        help="after the table, time the dense fp32 model in onnxruntime and "
                             "the 90%% int8 model in DeepSparse at batch 16 in alternating "
                             "blocks of 3 runs, this many rounds, for the speed goal "
                             "(0: skip; default %(default)s)")
    args = parser.parse_args(argv)

    import torch

    from recipe_studio.bridge import apply_oneshot, bench, convnets, export_onnx
    from recipe_studio.bridge.benchmark import agreement, bench_interleaved, machine_info
    from recipe_studio.bridge.qat import (
        RESNET_QAT_RECIPE, calibrate_batch_norms, pruning_recipe, quantize)

    sparsities = [float(s) for s in args.sparsities.split(",")]
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    size = args.image_size
    info = machine_info()
    info["load_average_start"] = os.getloadavg()
    info["torch"] = torch.__version__
    print(f"{args.arch}, {size}x{size}, random weights; {info.get('cpu_count')} CPUs, "
          f"DeepSparse ISA {info.get('deepsparse_isa')}, VNNI {info.get('vnni')}; "
          f"load average {_load(info['load_average_start'])}", flush=True)

    print(format_table([]), flush=True)  # the header; rows follow as they are measured
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    batches = [torch.randn(4, 3, size, size, generator=gen) for _ in range(2)]
    base = getattr(convnets, args.arch)().eval()
    calibrate_batch_norms(base, batches)
    sample = torch.randn(1, 3, size, size, generator=gen)
    rows: list[dict] = []
    paths: dict[tuple[float, bool], Path] = {}
    interleaved: dict | None = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(args.keep or tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        for sparsity in sparsities:
            pruned_by_mask: dict[str, object] = {}
            for int8 in (False,) if args.no_int8 else (False, True):
                t0 = time.perf_counter()
                mask = args.int8_mask_type if int8 else args.fp32_mask_type
                if mask not in pruned_by_mask:
                    pruned_by_mask[mask] = copy.deepcopy(base)
                    if sparsity > 0:
                        apply_oneshot(pruning_recipe(sparsity, mask), pruned_by_mask[mask])
                label = f"{sparsity:.0%}" + (" int8" if int8 else " fp32")
                model = copy.deepcopy(pruned_by_mask[mask])
                row_base = {"model": label, "sparsity": sparsity, "int8": int8,
                            "mask_type": mask if sparsity > 0 else None}
                try:
                    if int8:
                        quantize(model, RESNET_QAT_RECIPE, batches)
                    path = out_dir / f"{args.arch}-{round(sparsity * 100)}-{'int8' if int8 else 'fp32'}.onnx"
                    exported = export_onnx(model, sample, path)
                except Exception as e:  # a failed build/export is a row, not a crash
                    for bs in batch_sizes:
                        rows.append({**row_base, "batch_size": bs,
                                     "error": f"{type(e).__name__}: {str(e)[:300]}"})
                    print(f"  {label}: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
                    continue
                paths[(sparsity, int8)] = path
                report = bench(path, ("onnxruntime", "deepsparse"), batch_sizes,
                               warmup=args.warmup, iterations=args.iterations)
                agree = agreement(path, batch_size=1) if int8 else None
                load = os.getloadavg()[0]  # on a shared machine rows differ in load
                for bs in batch_sizes:
                    ort, ds = report.get("onnxruntime", bs), report.get("deepsparse", bs)
                    rows.append({
                        **row_base, "batch_size": bs,
                        "measured_sparsity": exported.sparsity,
                        "onnx_sparsity": exported.onnx_sparsity,
                        "block4_fraction": exported.block4_fraction,
                        "quantized_graph": exported.quantized,
                        "ops": exported.ops,
                        "onnx_bytes": exported.bytes, "gzip_bytes": exported.gzip_bytes,
                        "onnxruntime_ms": ort.median_ms, "onnxruntime_p90_ms": ort.p90_ms,
                        "onnxruntime_skipped": ort.skipped,
                        "deepsparse_ms": ds.median_ms, "deepsparse_p90_ms": ds.p90_ms,
                        "deepsparse_skipped": ds.skipped,
                        "deepsparse_vs_onnxruntime": agree.to_dict() if agree else None,
                        "iterations": args.iterations, "load_average_1min": load})
                print(f"  {label}: built, exported and timed in "
                      f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
                # rows so far, as they complete: a run cut short keeps what it measured
                print("\n".join(format_table(rows).splitlines()[-len(batch_sizes):]),
                      flush=True)
                if args.json:
                    _write(args.json, args, size, info, rows, [], partial=True)
        goal_pair = (paths.get((0.0, False)), paths.get((0.9, True)))
        if args.goal_rounds > 0 and all(goal_pair):
            load0 = os.getloadavg()
            ort_r, ds_r = bench_interleaved(
                [(goal_pair[0], "onnxruntime"), (goal_pair[1], "deepsparse")], 16,
                rounds=args.goal_rounds, iterations=3, warmup=2)
            interleaved = {"onnxruntime_dense_fp32_ms": ort_r.median_ms,
                           "deepsparse_90_int8_ms": ds_r.median_ms,
                           "skipped": ort_r.skipped or ds_r.skipped,
                           "rounds": args.goal_rounds, "load_average_start": load0,
                           "load_average_end": os.getloadavg()}
    info["load_average_end"] = os.getloadavg()
    info["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{args.arch} {size}x{size}; DeepSparse ISA {info.get('deepsparse_isa')}, "
          f"VNNI {info.get('vnni')}, {info.get('cpu_count')} CPUs; load average "
          f"{_load(info['load_average_start'])} at start, {_load(info['load_average_end'])} "
          f"at end; medians of {args.iterations} runs")
    print(format_table(rows))
    goals = check_goals(rows, interleaved)
    for what, ok, detail in goals:
        print(f"{'met   ' if ok else 'MISSED'} {what}: {detail}")
    if args.json:
        _write(args.json, args, size, info, rows, goals, partial=False,
               interleaved=interleaved)
        print(f"(written to {args.json})")
    return 0


def _write(path: str, args: argparse.Namespace, size: int, info: dict, rows: list[dict],
           goals: list[tuple[str, bool, str]], *, partial: bool,
           interleaved: dict | None = None) -> None:
    Path(path).write_text(json.dumps(
        {"arch": args.arch, "image_size": size, "partial": partial, "machine": info,
         "load_average_now": os.getloadavg(), "rows": rows,
         "goal_interleaved": interleaved,
         "goals": [{"goal": w, "met": ok, "detail": d} for w, ok, d in goals]},
        indent=2) + "\n")


def _load(avg: tuple[float, ...]) -> str:
    return " ".join(f"{v:.2f}" for v in avg)


def _find(rows: list[dict], sparsity: float, int8: bool, bs: int) -> dict | None:
    for r in rows:
        if r["sparsity"] == sparsity and r["int8"] == int8 and r["batch_size"] == bs:
            return r
    return None


def format_table(rows: list[dict]) -> str:
    """Markdown: one line per model and batch size."""
    lines = ["| model | mask | batch | gzip MB | smaller (gzip) | onnxruntime ms | DeepSparse ms | "
             "DS vs dense fp32 ORT | DS vs ORT (int8 outputs) | load |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        mask = r.get("mask_type") or "-"
        if "error" in r:
            lines.append(f"| {r['model']} | {mask} | {r['batch_size']} | - | - | - | - | - | "
                         f"failed: {r['error']} | - |")
            continue
        dense = _find(rows, 0.0, False, r["batch_size"]) or {}
        base_ms, base_gz = dense.get("onnxruntime_ms"), dense.get("gzip_bytes")
        ort, ds = r["onnxruntime_ms"], r["deepsparse_ms"]
        agree = r.get("deepsparse_vs_onnxruntime")
        agree_text = "-"
        if agree:
            agree_text = (agree["skipped"] if agree["skipped"] else
                          f"cos {agree['cosine']:.4f}, max abs {agree['max_abs_diff']:.3g}")
        lines.append(
            f"| {r['model']} | {mask} | {r['batch_size']} | {r['gzip_bytes'] / 1e6:.1f} | "
            f"{base_gz / r['gzip_bytes']:.1f}x | "
            + (f"{ort:.1f} | " if ort else f"{r['onnxruntime_skipped']} | ")
            + (f"{ds:.1f} | " if ds else f"{r['deepsparse_skipped']} | ")
            + (f"{base_ms / ds:.1f}x | " if base_ms and ds else "- | ")
            + f"{agree_text} | "
            + (f"{r['load_average_1min']:.1f} |" if r.get("load_average_1min") is not None
               else "- |"))
    return "\n".join(lines)


def check_goals(rows: list[dict], interleaved: dict | None = None
                ) -> list[tuple[str, bool, str]]:
    """The issue's two goals from the table's rows, and the speed goal again from the
    interleaved timing (both models under the same load) when there is one."""
    out = []
    dense = _find(rows, 0.0, False, 16)
    target = _find(rows, 0.9, True, 16)
    if dense and target and "error" not in target and "error" not in dense:
        ds, ort = target.get("deepsparse_ms"), dense.get("onnxruntime_ms")
        if ds and ort:
            out.append((f"90% int8 in DeepSparse >= {SPEEDUP_GOAL:g}x faster than dense fp32 "
                        "in onnxruntime at batch 16", ort / ds >= SPEEDUP_GOAL,
                        f"{ds:.1f} ms vs {ort:.1f} ms ({ort / ds:.1f}x)"))
        else:
            out.append(("90% int8 in DeepSparse at batch 16", False,
                        target.get("deepsparse_skipped") or "not measured"))
        ratio = dense["gzip_bytes"] / target["gzip_bytes"]
        out.append((f"90% int8 >= {GZIP_GOAL:g}x smaller than dense fp32 after gzip",
                    ratio >= GZIP_GOAL,
                    f"{target['gzip_bytes'] / 1e6:.1f} MB vs {dense['gzip_bytes'] / 1e6:.1f} MB "
                    f"({ratio:.1f}x)"))
    if interleaved:
        what = (f"the same, timed in alternating blocks ({interleaved['rounds']} rounds of 3 "
                f"runs each, load "
                f"{_load(interleaved['load_average_start'])} -> "
                f"{_load(interleaved['load_average_end'])})")
        ort, ds = interleaved["onnxruntime_dense_fp32_ms"], interleaved["deepsparse_90_int8_ms"]
        if ort and ds:
            out.append((what, ort / ds >= SPEEDUP_GOAL,
                        f"{ds:.1f} ms vs {ort:.1f} ms ({ort / ds:.1f}x)"))
        else:
            out.append((what, False, interleaved.get("skipped") or "not measured"))
    return out


if __name__ == "__main__":
    sys.exit(main())
