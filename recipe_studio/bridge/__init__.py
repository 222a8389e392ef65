"""The SparseML bridge: a finalized recipe in training, ONNX export, DeepSparse benchmark.

This package is the only part of recipe-studio that imports torch, SparseML, onnx,
onnxruntime or DeepSparse, always inside functions and through
:func:`recipe_studio.bridge._deps.require` (which names the `sparseml` extra when something
is missing and switches the Neural Magic packages' analytics off before they load).
Importing it costs nothing.

* :func:`apply` — validate + finalize a recipe, build SparseML's manager, wrap the
  optimizer; the handle's per-epoch callback checks sparsity and LR against the schedule.
* :func:`export_onnx` — SparseML's exporter (TorchScript path, QAT conversion, BN folding),
  then onnxruntime load and sparsity checks.
* :func:`bench` — latency/throughput in onnxruntime and DeepSparse.
* :func:`train` — the loop behind `recipe-studio train` (DDP under torchrun).
* :mod:`~recipe_studio.bridge.convnets` — QAT-ready ResNet-18/50 and YOLOv5s built in code;
  :mod:`~recipe_studio.bridge.qat_guard` — the guard that refuses models QAT would turn
  into NaN (:class:`QATNotReady`); :mod:`~recipe_studio.bridge.qat` — BN calibration and
  recipe-driven quantization for export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recipe_studio.bridge._deps import MissingDependency, require

if TYPE_CHECKING:
    from recipe_studio.bridge.manager import (
        EpochReport, Handle, RecipeError, ScheduleMismatch, apply, apply_oneshot,
    )
    from recipe_studio.bridge.benchmark import BenchReport, BenchResult, bench
    from recipe_studio.bridge.export import ExportError, ExportResult, export_onnx
    from recipe_studio.bridge.tasks import Task
    from recipe_studio.bridge.trainer import TrainResult, train
    from recipe_studio.bridge.qat_guard import QATNotReady

_LAZY = {
    "apply": "manager", "apply_oneshot": "manager", "Handle": "manager",
    "EpochReport": "manager", "RecipeError": "manager", "ScheduleMismatch": "manager",
    "export_onnx": "export", "ExportResult": "export", "ExportError": "export",
    "bench": "benchmark", "BenchReport": "benchmark", "BenchResult": "benchmark",
    "Task": "tasks", "train": "trainer", "TrainResult": "trainer",
    "QATNotReady": "qat_guard",
}

__all__ = ["MissingDependency", "require", *_LAZY]


def __getattr__(name: str) -> Any:
    # the submodules themselves are light (heavy imports happen inside their functions);
    # loading them on first use keeps `import recipe_studio.bridge` minimal
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'recipe_studio.bridge' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"recipe_studio.bridge.{module}"), name)
    globals()[name] = value
    return value
