"""Does sparsity buy speed? ResNet-18 at 224x224 in onnxruntime vs DeepSparse (printed).

A ResNet-18-sized network defined here (torchvision's layout: 7x7 stem, four stages of two
basic blocks, 64→512 channels, 1000 classes; random weights, seeded) goes through the
project's own pipeline at each sparsity:

1. one-shot magnitude pruning with a recipe (`!GMPruningModifier` on `__ALL_PRUNABLE__`,
   applied by `recipe_studio.bridge.apply_oneshot`, i.e. SparseML's `manager.apply`);
2. `recipe_studio.bridge.export_onnx` (SparseML exporter, batch norms folded, zeros checked);
3. `recipe_studio.bridge.bench` in onnxruntime and DeepSparse, same process, same inputs.

With `--quantized`, an int8 variant of the sparsest model is added: the same pruning plus
SparseML's QuantizationModifier, its observers calibrated on random batches, exported as a
quantized graph. Random weights make accuracy meaningless here; only speed is measured.

    python benchmarks/sparse_inference.py [--sparsities 0,0.8,0.9,0.95] [--batch-sizes 1]
        [--iterations 30] [--quantized] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")

PRUNE_RECIPE = """\
modifiers:
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: {sparsity}
    start_epoch: 0.0
    end_epoch: 1.0
    update_frequency: 1.0
"""

QUANT_RECIPE = """\
modifiers:
  - !QuantizationModifier
    start_epoch: 0.0
    submodules: ['model']
    model_fuse_fn_name: {fuse}
"""


def resnet18(num_classes: int = 1000):
    """ResNet-18 (He et al. 2016, torchvision's layout), everything under `model`."""
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu1 = nn.ReLU()
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            # registered before relu2: SparseML fuses conv→bn→relu by registration order,
            # and relu2 follows the residual add, not bn2
            self.add = torch.ao.nn.quantized.FloatFunctional()
            self.relu2 = nn.ReLU()
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu1(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu2(self.add.add(out, identity))

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.MaxPool2d(3, 2, 1)]
            cin = 64
            for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
                cin = cout
            layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
            self.model = nn.Sequential(*layers)

        def forward(self, x):
            return self.model(x)

    return ResNet18()


def build(sparsity: float, quantized: bool, seed: int):
    import torch

    from recipe_studio.bridge import apply_oneshot

    torch.manual_seed(seed)
    model = resnet18().eval()
    if sparsity > 0:
        apply_oneshot(PRUNE_RECIPE.format(sparsity=sparsity), model)
    if quantized:
        _quantize(model, seed)
    return model


def _quantize(model, seed: int) -> None:
    """SparseML's legacy QAT on `model`, observers calibrated on random batches.

    Without conv-BN fusion (`model_fuse_fn_name: no_fuse`): with torch 2.13, SparseML's
    fusion of the residual blocks' conv→BN pairs fails its own hook count ("Number of fused
    modules (17) ... does not match expected (20)"). On the resulting graph DeepSparse 1.8's
    engine asserts (measured here), which the table shows as a skipped DeepSparse run.
    """
    import torch

    from recipe_studio.bridge import apply

    optimizer = torch.optim.SGD(model.parameters(), lr=1e-9)
    handle = apply(QUANT_RECIPE.format(fuse="no_fuse"), model, optimizer, steps_per_epoch=1, warn=False)
    # SparseML enables QAT at the first optimizer step; zero gradients keep the (pruned)
    # weights as they are, and forward passes in train mode calibrate the observers
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(2):
        handle.optimizer.zero_grad()
        model(torch.randn(4, 3, 224, 224, generator=gen)).sum().mul(0).backward()
        handle.optimizer.step()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(4, 3, 224, 224, generator=gen))
    handle.finalize()
    model.eval()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsities", default="0,0.8,0.9,0.95")
    parser.add_argument("--batch-sizes", default="1")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--quantized", action="store_true",
                        help="add an int8 variant of the sparsest model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--keep", help="keep the ONNX files in this directory")
    args = parser.parse_args(argv)

    from recipe_studio.bridge import bench, export_onnx
    from recipe_studio.bridge.benchmark import machine_info

    import torch

    sparsities = [float(s) for s in args.sparsities.split(",")]
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    variants = [(s, False) for s in sparsities]
    if args.quantized:
        variants.append((max(sparsities), True))
    info = machine_info()
    print(f"ResNet-18, 224x224, random weights; {info.get('cpu_count')} CPUs, DeepSparse ISA "
          f"{info.get('deepsparse_isa')}, VNNI {info.get('vnni')}; torch {torch.__version__}",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(args.keep or tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        for sparsity, quantized in variants:
            label = f"{sparsity:.0%}" + (" int8" if quantized else "")
            t0 = time.perf_counter()
            model = build(sparsity, quantized, args.seed)
            path = out_dir / f"resnet18-{int(round(sparsity * 100))}{'-int8' if quantized else ''}.onnx"
            exported = export_onnx(model, torch.randn(1, 3, 224, 224), path)
            report = bench(path, ("onnxruntime", "deepsparse"), batch_sizes,
                           warmup=args.warmup, iterations=args.iterations)
            for bs in batch_sizes:
                ort, ds = report.get("onnxruntime", bs), report.get("deepsparse", bs)
                rows.append({"model": label, "sparsity": sparsity, "quantized": quantized,
                             "measured_sparsity": exported.sparsity, "batch_size": bs,
                             "onnx_bytes": exported.bytes, "gzip_bytes": exported.gzip_bytes,
                             "onnxruntime_ms": ort.median_ms if ort else None,
                             "onnxruntime_p90_ms": ort.p90_ms if ort else None,
                             "deepsparse_ms": ds.median_ms if ds else None,
                             "deepsparse_p90_ms": ds.p90_ms if ds else None,
                             "deepsparse_skipped": ds.skipped if ds else None})
            print(f"  {label}: built, exported and timed in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")


def print_table(rows: list[dict]) -> None:
    dense = {r["batch_size"]: r["onnxruntime_ms"] for r in rows
             if r["sparsity"] == 0 and not r["quantized"]}
    print()
    print("| model | batch | gzip MB | onnxruntime ms (p90) | DeepSparse ms (p90) | "
          "DS vs ORT, same model | DS vs dense ORT |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ort, ds = r["onnxruntime_ms"], r["deepsparse_ms"]
        same = f"{ort / ds:.2f}x" if ort and ds else "-"
        base = dense.get(r["batch_size"])
        vs_dense = f"{base / ds:.2f}x" if base and ds else "-"
        ds_text = f"{ds:.1f} ({r['deepsparse_p90_ms']:.1f})" if ds else (
            r["deepsparse_skipped"] or "-")
        print(f"| {r['model']} | {r['batch_size']} | {r['gzip_bytes'] / 1e6:.1f} | "
              f"{ort:.1f} ({r['onnxruntime_p90_ms']:.1f}) | {ds_text} | {same} | {vs_dense} |")


if __name__ == "__main__":
    main()
