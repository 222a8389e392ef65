"""Quantization-aware training for export: BN calibration, QAT and pruning recipes.

:func:`quantize` takes a model through a QAT recipe with :func:`recipe_studio.bridge.apply`
(which refuses a model QAT would turn into NaN: :mod:`~recipe_studio.bridge.qat_guard`,
whose names are re-exported here) without changing its weights, for export;
:data:`RESNET_QAT_RECIPE`, :func:`pruning_recipe` and :data:`INT8_MASK_TYPE` are the
recipes the benchmarks and tests use.

:func:`calibrate_batch_norms` settles the BN running statistics of a randomly initialised
model on sample batches (a trained model has settled statistics; without them the QAT
observers calibrate ranges that eval mode never sees) — for benchmarks and tests on random
weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from recipe_studio.bridge._deps import require
from recipe_studio.bridge.manager import apply
from recipe_studio.bridge.qat_guard import (
    ZERO_GAMMA, QATNotReady, QATProblem, check_qat_ready, fused_conv_bns, is_finite_output,
    observer_problems, qat_problems, quantization_fusers,
)

__all__ = [
    # the guard, re-exported (its home is bridge.qat_guard)
    "ZERO_GAMMA", "QATNotReady", "QATProblem", "check_qat_ready", "fused_conv_bns",
    "is_finite_output", "observer_problems", "qat_problems", "quantization_fusers",
    # quantization for export
    "calibrate_batch_norms", "RESNET_QAT_RECIPE", "INT8_MASK_TYPE", "ONESHOT_PRUNING_RECIPE",
    "pruning_recipe", "quantize",
]


def calibrate_batch_norms(model: Any, batches: Iterable[Any]) -> int:
    """Set every BatchNorm's running mean/variance to the exact average over `batches`
    (forward passes in train mode without gradients; momentum restored afterwards); returns
    the number of batches. For models with random weights: a trained model has settled
    statistics already."""
    torch = require("torch")
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [(m, m.momentum) for m in bns]
    was_training = model.training
    n = 0
    try:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average
        model.train()
        with torch.no_grad():
            for x in batches:
                model(x)
                n += 1
    finally:
        for m, momentum in saved:
            m.momentum = momentum
        model.train(was_training)
    return n


#: SparseML's legacy QAT on a ResNet's convolutions (stem and residual stages; the final
#: linear layer stays float), with SparseML's default conv-BN(-ReLU) fusion
RESNET_QAT_RECIPE = """\
modifiers:
  - !QuantizationModifier
    start_epoch: 0.0
    submodules: ['input', 'sections']
"""


#: The pruning mask for a model that will run int8 in DeepSparse on a VNNI CPU: zeros in
#: blocks of 4 consecutive input channels (SparseML's `FourBlockMaskCreator`). SparseML's
#: recipe template prunes with `block4` for its `vnni` target and its pruned-quantized
#: ResNet-50 recipes prune in `[1, 4]` blocks: VNNI multiplies 4 int8 values at a time, so
#: DeepSparse's sparse int8 kernels skip whole blocks. Measured here (ResNet-50, 90%, int8,
#: batch 16, AVX-512 VNNI, the two models timed alternately): block4 54.8 ms against 120.8 ms
#: unstructured on 2 cores (258.9 against 426.8 ms on one). For fp32 models unstructured is
#: as fast or faster (block4 measured 8% slower); docs/deployment.md has the figures.
INT8_MASK_TYPE = "block4"

#: one-shot uniform magnitude pruning of every conv and linear weight (SparseML's
#: `__ALL_PRUNABLE__`) to `sparsity` with `mask_type`; for :func:`pruning_recipe`
ONESHOT_PRUNING_RECIPE = """\
modifiers:
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: {sparsity}
    start_epoch: 0.0
    end_epoch: 1.0
    update_frequency: 1.0
    mask_type: {mask_type}
"""


def pruning_recipe(sparsity: float, mask_type: str = "unstructured") -> str:
    """A one-shot recipe (:func:`recipe_studio.bridge.apply_oneshot`) that prunes every conv
    and linear weight to `sparsity` with SparseML's `mask_type` (`unstructured`, `block4`,
    `N:M`, ...); use :data:`INT8_MASK_TYPE` for a model that will be quantized for
    DeepSparse on a VNNI CPU."""
    if not 0.0 < sparsity < 1.0:
        raise ValueError(f"sparsity must be in (0, 1), got {sparsity}")
    return ONESHOT_PRUNING_RECIPE.format(sparsity=sparsity, mask_type=mask_type)


def quantize(model: Any, recipe: str, batches: Sequence[Any], *, steps: int = 2) -> Any:
    """Take `model` through a QAT `recipe` without changing its weights, for export.

    The recipe is applied with :func:`recipe_studio.bridge.apply` (which refuses a model that
    would make QAT produce NaN), `steps` optimizer steps with zero gradients switch QAT on
    (SparseML fuses and quantizes at the first step) and let the observers see `batches`
    in train mode, then the remaining batches calibrate them without gradients; the
    manager is finalized and the model returned in eval mode. With `batches` from the
    training distribution this is post-training calibration through SparseML's QAT modules.
    """
    torch = require("torch")
    if not batches:
        raise ValueError("quantize needs at least one calibration batch")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    model.train()  # SparseML fuses when the recipe is applied: QAT fusion needs train mode
    handle = apply(recipe, model, optimizer, steps_per_epoch=1, warn=False)
    for i in range(max(1, steps)):
        handle.optimizer.zero_grad()
        out = model(batches[i % len(batches)])
        _sum(out).mul(0).backward()
        handle.optimizer.step()
    with torch.no_grad():
        for x in batches:
            model(x)
    handle.finalize()
    model.eval()
    return model


def _sum(out: Any) -> Any:
    if isinstance(out, (list, tuple)):
        return sum(_sum(o) for o in out)
    return out.sum()
