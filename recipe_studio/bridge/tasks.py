"""Training tasks: what `recipe-studio train` trains, and the embedded digits task.

A task is a Python callable (`--task package.module:function`) that returns a :class:`Task`
(or the 4-tuple `(model, train_loader, evaluate, sample_input)`). The embedded default,
`digits`, is a small CNN on scikit-learn's bundled 8x8 handwritten digits (1797 images,
shipped inside scikit-learn: nothing is downloaded). Its layers live in a submodule named
`model`, so recipes written for SparseML's YOLOv5 integration (`submodules: ['model']` in a
legacy QuantizationModifier) apply unchanged.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from recipe_studio.bridge._deps import require

#: the embedded tasks, by `--task` name
BUILTIN = ("digits",)


class TaskError(ValueError):
    """A `--task` value that cannot be turned into a task."""


@dataclass
class Task:
    """What the trainer needs from a task.

    Attributes:
        model: the torch module to train.
        train_loader: an iterable of `(inputs, targets)` batches with `len()` (a torch
            DataLoader is re-sharded with a DistributedSampler under torchrun).
        evaluate: `evaluate(model) -> float` (accuracy in [0, 1]) or a mapping of metrics
            with an "accuracy" entry; called in eval mode, without gradients.
        sample_input: one batch of inputs, for ONNX export.
        loss_fn: `loss_fn(outputs, targets)`; default: cross entropy.
        name: shown in logs and metrics.json.
        lr: the optimizer's initial learning rate (recipes usually set their own).
        momentum: SGD momentum.
        weight_decay: SGD weight decay.
    """

    model: Any
    train_loader: Any
    evaluate: Callable[[Any], float | Mapping[str, float]]
    sample_input: Any
    loss_fn: Callable[[Any, Any], Any] | None = None
    name: str = "task"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0


def digits_net(width: int = 16) -> Any:
    """The digits CNN: conv-BN-ReLU ×3 (one max-pool) and a linear classifier, all inside
    the submodule `model`. Convolutions have no bias (the batch norm has one), which is also
    what lets SparseML export the QAT version with int8 convolutions."""
    torch = require("torch")
    nn = torch.nn

    class DigitsNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w1, w2 = width, 2 * width
            self.model = nn.Sequential(
                nn.Conv2d(1, w1, 3, padding=1, bias=False), nn.BatchNorm2d(w1), nn.ReLU(),
                nn.Conv2d(w1, w2, 3, padding=1, bias=False), nn.BatchNorm2d(w2), nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(w2, w2, 3, padding=1, bias=False), nn.BatchNorm2d(w2), nn.ReLU(),
                nn.Flatten(), nn.Linear(w2 * 16, 10))

        def forward(self, x: Any) -> Any:
            return self.model(x)

    return DigitsNet()


def digits_data(*, seed: int = 0, test_fraction: float = 0.2) -> tuple[Any, Any, Any, Any]:
    """scikit-learn's digits as tensors `(x_train, y_train, x_test, y_test)`: images
    1x8x8 scaled to [0, 1], a stratified split fixed by `seed`."""
    torch = require("torch")
    datasets = require("sklearn.datasets")
    model_selection = require("sklearn.model_selection")
    digits = datasets.load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(digits.target, dtype=torch.long)
    idx_train, idx_test = model_selection.train_test_split(
        list(range(len(y))), test_size=test_fraction, random_state=seed,
        stratify=digits.target)
    return x[idx_train], y[idx_train], x[idx_test], y[idx_test]


def digits(*, seed: int = 0, batch_size: int = 64, width: int = 16) -> Task:
    """The embedded task: the digits CNN, a shuffled train loader, test-set accuracy."""
    torch = require("torch")
    x_train, y_train, x_test, y_test = digits_data(seed=seed)
    torch.manual_seed(seed)
    model = digits_net(width)
    generator = torch.Generator().manual_seed(seed)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_train, y_train), batch_size=batch_size,
        shuffle=True, generator=generator)

    def evaluate(m: Any) -> float:
        with torch.no_grad():
            return float((m(x_test).argmax(1) == y_test).float().mean().item())

    return Task(model=model, train_loader=loader, evaluate=evaluate,
                sample_input=x_test[:1].clone(), name="digits", lr=0.05)


def load_task(spec: str | Callable[..., Any], *, seed: int = 0) -> Task:
    """A :class:`Task` from `digits`, `package.module:function`, or a callable (called
    without arguments; the embedded task gets `seed`).

    Raises:
        TaskError: the module or function cannot be found, or does not return a task.
    """
    if callable(spec):
        factory, label = spec, getattr(spec, "__name__", "task")
    elif spec in BUILTIN:
        return digits(seed=seed)
    else:
        module_name, sep, func_name = str(spec).partition(":")
        if not sep or not module_name or not func_name:
            raise TaskError(f"`{spec}` is not a task: use `digits` or `package.module:function`")
        # like `python -m`, a task module in the working directory is importable
        cwd = os.getcwd()
        if cwd not in sys.path and "" not in sys.path:
            sys.path.insert(0, cwd)
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise TaskError(f"cannot import task module `{module_name}`: {e}") from None
        factory = getattr(module, func_name, None)
        if not callable(factory):
            raise TaskError(f"`{module_name}` has no callable `{func_name}`")
        label = func_name
    task = factory()
    if isinstance(task, tuple) and len(task) == 4:
        task = Task(*task, name=label)
    if not isinstance(task, Task):
        raise TaskError(f"task `{label}` returned {type(task).__name__}, not a Task or a "
                        "(model, train_loader, evaluate, sample_input) tuple")
    return task


def synthetic_detection_data(n: int, image_size: int = 640, *, seed: int = 0,
                             max_boxes: int = 3) -> tuple[Any, Any]:
    """Synthetic detection images and objectness targets, generated (nothing downloaded).

    Each image is dim noise with 1..`max_boxes` bright rectangles; the target marks, at each
    of YOLOv5's three output levels (strides 8, 16, 32) and for all three anchors, the grid
    cell holding a rectangle's centre. Returns `(images [n, 3, S, S], targets [n, 3, cells])`
    where `cells` runs over the three levels' grids, flattened in order.
    """
    torch = require("torch")
    from recipe_studio.bridge.convnets import STRIDES

    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, image_size, image_size, generator=gen) * 0.2
    grids = [image_size // s for s in STRIDES]
    maps = [torch.zeros(n, 3, g, g) for g in grids]
    for i in range(n):
        count = int(torch.randint(1, max_boxes + 1, (1,), generator=gen))
        for _ in range(count):
            w, h = (int(v) for v in torch.randint(image_size // 16, image_size // 3, (2,),
                                                  generator=gen))
            x0 = int(torch.randint(0, image_size - w, (1,), generator=gen))
            y0 = int(torch.randint(0, image_size - h, (1,), generator=gen))
            colour = torch.rand(3, 1, 1, generator=gen) * 0.8 + 0.2
            images[i, :, y0:y0 + h, x0:x0 + w] = colour
            cx, cy = x0 + w / 2, y0 + h / 2
            for m, s in zip(maps, STRIDES):
                m[i, :, min(int(cy // s), m.shape[2] - 1), min(int(cx // s), m.shape[3] - 1)] = 1
    targets = torch.cat([m.flatten(2) for m in maps], 2)
    return images, targets


def objectness_loss(outputs: Any, targets: Any) -> Any:
    """A simple synthetic detection loss: binary cross-entropy of YOLOv5's objectness
    logits (channel 4 of every anchor at every cell of the three raw output maps) against
    :func:`synthetic_detection_data`'s targets."""
    torch = require("torch")
    logits = torch.cat([o[..., 4].flatten(2) for o in outputs], 2)
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)


def yolov5s(*, seed: int = 0, image_size: int = 640, batch_size: int = 2, steps: int = 2,
            model: Any = None) -> Task:
    """YOLOv5s (`recipe_studio.bridge.convnets.yolov5s`) on synthetic images with
    :func:`objectness_loss`: `steps` batches of `batch_size` per epoch. Accuracy cannot be
    judged on synthetic data, so `evaluate` measures nothing (the digits task is the
    accuracy evidence). The batch-norm statistics of a new model are settled on the first
    batch, as a trained model's would be."""
    torch = require("torch")
    from recipe_studio.bridge.convnets import yolov5s as build
    from recipe_studio.bridge.qat import calibrate_batch_norms

    images, targets = synthetic_detection_data(batch_size * steps, image_size, seed=seed)
    batches = [(images[i:i + batch_size], targets[i:i + batch_size])
               for i in range(0, len(images), batch_size)]
    if model is None:
        torch.manual_seed(seed)
        model = build()
        calibrate_batch_norms(model, [batches[0][0]])
        model.train()
    sample = synthetic_detection_data(1, image_size, seed=seed + 1)[0]
    return Task(model=model, train_loader=batches, evaluate=lambda m: {},
                sample_input=sample, loss_fn=objectness_loss, name="yolov5s", lr=0.01)
