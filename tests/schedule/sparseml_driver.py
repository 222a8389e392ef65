"""Drive SparseML 1.8's real `ScheduledModifierManager` and record what it does, step by step.

A small conv + linear model is trained with a `RecipeManagerStepWrapper`-wrapped SGD
(`manager.modify(model, optimizer, steps_per_epoch)`), exactly as an integration does: a
forward pass, a bounded loss, `backward()`, then `optimizer.step()`. The optimizer records,
inside its own `step()` (after the manager's update and `optimizer_pre_step`, i.e. with the
values in force for that step), the learning rate and weight decay of its three param
groups (weights, other parameters, biases) and,
for every modifier in the manager's order, its state: a pruner's applied target, whether
its mask is enabled and the zero fraction of each mask; a quantization modifier's
QAT/BN-freeze/observer flags.

Callers must chdir to a temporary directory first (SparseML writes `sparse_logs/` into
the working directory) and set NM_DISABLE_ANALYTICS=1.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

#: the model's prunable weights (what `__ALL_PRUNABLE__` selects), in module order
PRUNABLE = ("conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight")
INITIAL_LR = 0.123
INITIAL_WD = 0.0


@dataclass
class ModState:
    cls: str
    applied: Any = None
    enabled: bool | None = None
    #: per mask: (zero count, numel)
    zeros: list[tuple[int, int]] | None = None
    qat: tuple[bool, bool, bool] | None = None


@dataclass
class Run:
    """What SparseML did: per step, lr, weight decay and every modifier's state."""

    order: list[Any]
    #: `identifier()` and serialised properties of each modifier, right after loading
    identifiers: list[str] = field(default_factory=list)
    props: list[dict[str, str]] = field(default_factory=list)
    #: per step, per param group
    lr: list[list[float]] = field(default_factory=list)
    wd: list[list[float]] = field(default_factory=list)
    mods: list[list[ModState]] = field(default_factory=list)
    #: (step, exception class name, message) when training raised
    error: tuple[int, str, str] | None = None
    max_epochs: int = 0


def _model():
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(4, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.act1 = nn.ReLU()
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(16)
            self.act2 = nn.ReLU()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc1 = nn.Linear(16, 32)
            self.act3 = nn.ReLU()
            self.fc2 = nn.Linear(32, 8)

        def forward(self, x):
            x = self.act1(self.bn1(self.conv1(x)))
            x = self.act2(self.bn2(self.conv2(x)))
            x = self.pool(x).flatten(1)
            return self.fc2(self.act3(self.fc1(x)))

    torch.manual_seed(0)
    return Net()


def _state(mod: Any) -> ModState:
    from sparseml.pytorch.sparsification.pruning.modifier_pruning_base import (
        BasePruningModifier,
    )

    name = type(mod).__name__
    if isinstance(mod, BasePruningModifier):
        masks = mod._module_masks
        zeros = None
        if masks is not None:
            zeros = [(int((m == 0).sum().item()), int(m.numel())) for m in masks.param_masks]
        applied = mod._applied_sparsity
        if isinstance(applied, list):
            applied = [float(a) if a is not None else None for a in applied]
        return ModState(name, applied, bool(masks.enabled) if masks is not None else None, zeros)
    if hasattr(mod, "_qat_enabled"):
        return ModState(name, qat=(bool(mod._qat_enabled), bool(mod._bn_stats_frozen),
                                   bool(mod._quantization_observer_disabled)))
    return ModState(name)


def run_sparseml(recipe_text: str, steps_per_epoch: int, n_steps: int) -> Run:
    """Load `recipe_text` with `ScheduledModifierManager.from_yaml` and train `n_steps`
    steps (stops at the first exception, which is recorded)."""
    import torch
    from sparseml.pytorch.optim import ScheduledModifierManager

    logging.disable(logging.CRITICAL)
    torch.set_num_threads(1)  # a tiny model: thread start-up dominates otherwise
    manager = ScheduledModifierManager.from_yaml(recipe_text)
    model = _model()
    run = Run(order=list(manager.iter_modifiers()), max_epochs=manager.max_epochs)
    run.identifiers = [m.identifier() for m in run.order]
    run.props = [m.props(only_serializable=True, format_str=True) for m in run.order]

    class RecordingSGD(torch.optim.SGD):
        def step(self, closure=None):  # type: ignore[override]
            run.lr.append([float(g["lr"]) for g in self.param_groups])
            run.wd.append([g["weight_decay"] for g in self.param_groups])
            run.mods.append([_state(m) for m in run.order])
            return super().step(closure)

    # three param groups, as YOLOv5's trainer builds them (the corpus's YOLOv5 recipes set
    # the bias group's learning rate with `param_groups: [2]`)
    weights = [p for n, p in model.named_parameters() if n in PRUNABLE]
    biases = [p for n, p in model.named_parameters() if n.endswith(".bias")]
    others = [p for n, p in model.named_parameters() if n not in PRUNABLE
              and not n.endswith(".bias")]
    optimizer = RecordingSGD([{"params": weights}, {"params": others}, {"params": biases}],
                             lr=INITIAL_LR, momentum=0.9, weight_decay=INITIAL_WD)
    generator = torch.Generator().manual_seed(1)
    step = -1  # -1: failed in modify(), before the first step
    try:
        wrapped = manager.modify(model, optimizer, steps_per_epoch)
        for step in range(n_steps):
            x = torch.randn(4, 4, 6, 6, generator=generator)
            optimizer.zero_grad()
            loss = model(x).tanh().pow(2).mean()  # bounded: weights stay finite
            loss.backward()
            wrapped.step()
    except Exception as e:  # recorded: the engine must predict it
        run.error = (step, type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    finally:
        logging.disable(logging.NOTSET)
    return run


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tol)
