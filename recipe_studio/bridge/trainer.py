"""The training loop behind `recipe-studio train` (and the demo): recipe → SparseML → ONNX.

:func:`train` loads a task, applies the (optionally rescaled) recipe with
:func:`recipe_studio.bridge.manager`, trains for SparseML's `max_epochs`, checks every epoch
against the schedule's prediction, and writes into the output directory (all atomically):

* `recipe.yaml` — the finalized recipe SparseML ran,
* `model.pt` — the checkpoint (`{"state_dict", "epochs", "recipe"}`),
* `model.onnx` — the SparseML export (QAT converted, batch norms folded),
* `metrics.json` — per-epoch loss, accuracy, LR and sparsity next to the prediction,
  the export check, and timings,
* `sparseml.log` — SparseML's own modifier log.

Under `torchrun` (`WORLD_SIZE` > 1) the model is wrapped in DistributedDataParallel (gloo
on CPU, nccl on GPU), a torch DataLoader is re-sharded with a DistributedSampler, every rank
applies the recipe to the same (broadcast) weights, and the per-epoch check also compares
the pruning masks across ranks. Only rank 0 evaluates, reports and writes.

Library code: nothing is printed; progress goes to the callbacks.
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recipe_studio.bridge._deps import require
from recipe_studio.bridge.manager import EpochReport, Handle, apply, load_recipe
from recipe_studio.bridge.export import ExportResult, export_onnx, prunable_weights
from recipe_studio.bridge.tasks import Task, load_task
from recipe_studio.io import atomic_write, atomic_write_bytes
from recipe_studio.read.variables import Override

FILES = {"recipe": "recipe.yaml", "checkpoint": "model.pt", "onnx": "model.onnx",
         "metrics": "metrics.json", "log": "sparseml.log"}


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, an empty loader...)."""


@dataclass
class EpochMetrics:
    """One epoch as the trainer reports it."""

    epoch: int
    epochs: int
    loss: float
    accuracy: float | None
    lr: float
    sparsity: float
    expected_sparsity: float | None
    seconds: float
    report: EpochReport
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        return self.report.warnings

    def to_dict(self) -> dict[str, Any]:
        out = {"epoch": self.epoch, "loss": self.loss, "accuracy": self.accuracy,
               "lr": self.lr, "sparsity": self.sparsity,
               "expected_sparsity": self.expected_sparsity, "seconds": self.seconds}
        out.update(self.extra)
        out["check"] = self.report.to_dict()
        return out


@dataclass
class TrainResult:
    """What :func:`train` did."""

    out_dir: Path | None
    files: dict[str, str]
    history: list[EpochMetrics]
    export: ExportResult | None
    metrics: dict[str, Any]
    model: Any
    handle: Handle
    task: Task
    rank: int = 0
    world_size: int = 1

    @property
    def accuracy(self) -> float | None:
        return self.history[-1].accuracy if self.history else None

    @property
    def sparsity(self) -> float:
        """Zeros over all conv/linear weights of the final model."""
        return float(self.metrics.get("final", {}).get("weight_sparsity", 0.0))

    @property
    def warnings(self) -> list[str]:
        return [w for m in self.history for w in m.warnings]


def write_json(path: Path, data: Any) -> None:
    """JSON, atomically."""
    atomic_write(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class _Distributed:
    """torchrun's environment, or a single process."""

    def __init__(self) -> None:
        torch = require("torch")
        self.torch = torch
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.dist = torch.distributed
        self.owned = False
        cuda = torch.cuda.is_available()
        self.device = torch.device(f"cuda:{self.local_rank}" if cuda else "cpu")
        if self.world_size > 1 and not self.dist.is_initialized():
            self.dist.init_process_group("nccl" if cuda else "gloo")
            self.owned = True
        if cuda:
            torch.cuda.set_device(self.device)

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.active:
            self.dist.barrier()

    def mean(self, total: float, count: float) -> float:
        if not self.active:
            return total / count if count else float("nan")
        t = self.torch.tensor([total, count], dtype=self.torch.float64)
        self.dist.all_reduce(t)
        return float(t[0] / t[1]) if t[1] else float("nan")

    def close(self) -> None:
        if self.owned and self.dist.is_initialized():
            self.dist.destroy_process_group()


class _Shard:
    """Every `world`-th batch of a plain iterable, the same count on every rank."""

    def __init__(self, loader: Any, rank: int, world: int):
        self.loader, self.rank, self.world = loader, rank, world

    def __len__(self) -> int:
        return len(self.loader) // self.world

    def __iter__(self) -> Iterator[Any]:
        n = len(self)
        taken = 0
        for i, batch in enumerate(self.loader):
            if taken >= n:
                break
            if i % self.world == self.rank:
                taken += 1
                yield batch


def _shard_loader(loader: Any, env: _Distributed, seed: int) -> tuple[Any, Any]:
    torch = env.torch
    if not env.active:
        return loader, None
    if isinstance(loader, torch.utils.data.DataLoader):
        sampler = torch.utils.data.distributed.DistributedSampler(
            loader.dataset, num_replicas=env.world_size, rank=env.rank, shuffle=True, seed=seed)
        sharded = torch.utils.data.DataLoader(
            loader.dataset, batch_size=loader.batch_size, sampler=sampler,
            collate_fn=loader.collate_fn, drop_last=loader.drop_last,
            num_workers=loader.num_workers)
        return sharded, sampler
    return _Shard(loader, env.rank, env.world_size), None


def _to(batch: Any, device: Any) -> Any:
    if hasattr(batch, "to"):
        return batch.to(device)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to(b, device) for b in batch)
    if isinstance(batch, Mapping):
        return {k: _to(v, device) for k, v in batch.items()}
    return batch


def _evaluate(task: Task, model: Any) -> tuple[float | None, dict[str, float]]:
    torch = require("torch")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            value = task.evaluate(model)
    finally:
        model.train(was_training)
    if isinstance(value, Mapping):
        extra = {str(k): float(v) for k, v in value.items()}
        return extra.pop("accuracy", None), extra
    return (float(value) if value is not None else None), {}


def train(recipe: str | os.PathLike[str], task: str | Callable[..., Any] | Task = "digits",
          out_dir: str | os.PathLike[str] | None = "recipe-studio-run", *,
          epochs: float | None = None,
          variables: Mapping[str, Any] | Iterable[Override] | None = None,
          seed: int = 0, export: bool = True,
          on_start: Callable[[Handle, Task], None] | None = None,
          on_step: Callable[[int, int, int, float], None] | None = None,
          on_epoch: Callable[[EpochMetrics], None] | None = None) -> TrainResult:
    """Train a task with a recipe through SparseML and export the result.

    Args:
        recipe: the recipe path (.yaml/.md) or text.
        task: "digits", "package.module:function", a task factory, or a :class:`Task`.
        out_dir: where the files go (created); None writes nothing (and skips the export).
        epochs: rescale the recipe to this many epochs first.
        variables: recipe variable overrides (applied after rescaling).
        seed: seeds torch (same on every rank) and the data order.
        export: export `model.onnx` (and check it) at the end.
        on_start: called once with the handle and the task (rank 0).
        on_step: `on_step(epoch, step, steps_per_epoch, loss)` after each step (rank 0).
        on_epoch: called with each epoch's :class:`EpochMetrics` (rank 0).

    Raises:
        RecipeError: the recipe is invalid or cannot be scaled (before any training).
        TaskError: the task cannot be loaded.
        TrainingError: the loss became NaN/inf, or the loader is empty.
        ExportError: the ONNX export failed its checks.
    """
    started = time.perf_counter()
    # a broken recipe stops here, before torch and SparseML are even imported
    loaded = load_recipe(recipe, variables=variables, epochs=epochs)
    torch = require("torch")
    env = _Distributed()
    try:
        return _train(loaded, recipe, task, out_dir, env, seed=seed, export=export,
                      epochs=epochs, on_start=on_start, on_step=on_step, on_epoch=on_epoch,
                      started=started, torch=torch)
    finally:
        env.close()


@dataclass
class _Run:
    """One training run between its phases (set up, epochs, outputs)."""

    task: Task
    #: the bare model (evaluated, exported) and the one trained (DDP on several ranks)
    model: Any
    train_model: Any
    loader: Any
    sampler: Any
    steps: int
    handle: Handle
    loss_fn: Any
    out: Path | None
    log_file: Path | None


def _train(loaded: Any, recipe_arg: Any, task_arg: Any, out_dir: Any, env: _Distributed, *,
           seed: int, export: bool, epochs: float | None, on_start: Any, on_step: Any,
           on_epoch: Any, started: float, torch: Any) -> TrainResult:
    run = _set_up(loaded, task_arg, out_dir, env, seed=seed, torch=torch)
    if on_start is not None and env.main:
        on_start(run.handle, run.task)
    history: list[EpochMetrics] = []
    for epoch in range(run.handle.max_epochs):
        metrics = _run_epoch(run, env, epoch, on_step)
        history.append(metrics)
        if on_epoch is not None and env.main:
            on_epoch(metrics)
    train_seconds = time.perf_counter() - started
    run.handle.finalize()
    run.model.eval()
    files: dict[str, str] = {}
    export_result = None
    summary: dict[str, Any] = {}
    if env.main:
        summary = _summary(run, env, history, recipe=_recipe_label(recipe_arg, loaded),
                           epochs=epochs, seed=seed, train_seconds=train_seconds)
        if run.out is not None:
            export_result = _write_outputs(run, summary, files, export=export,
                                           started=started, torch=torch)
    env.barrier()
    return TrainResult(out_dir=run.out, files=files, history=history, export=export_result,
                       metrics=summary, model=run.model, handle=run.handle, task=run.task,
                       rank=env.rank, world_size=env.world_size)


def _set_up(loaded: Any, task_arg: Any, out_dir: Any, env: _Distributed, *, seed: int,
            torch: Any) -> _Run:
    """Seed, load the task, wrap the model for DDP, shard the loader, apply the recipe."""
    torch.manual_seed(seed)
    task = task_arg if isinstance(task_arg, Task) else load_task(task_arg, seed=seed)
    model = task.model.to(env.device)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and env.main:
        out.mkdir(parents=True, exist_ok=True)
    env.barrier()
    train_model = model
    if env.active:
        ddp_kwargs = {"device_ids": [env.device.index]} if env.device.type == "cuda" else {}
        train_model = torch.nn.parallel.DistributedDataParallel(model, **ddp_kwargs)
    loader, sampler = _shard_loader(task.train_loader, env, seed)
    steps = len(loader)
    if steps <= 0:
        raise TrainingError("the training loader yields no batches")
    optimizer = torch.optim.SGD(model.parameters(), lr=task.lr, momentum=task.momentum,
                                weight_decay=task.weight_decay)
    log_file = out / FILES["log"] if out is not None and env.main else None
    # SparseML's QAT fuses conv-BN when the recipe is applied, which needs train mode (a
    # model passed in after an earlier run is in eval mode)
    train_model.train()
    handle = apply(loaded, train_model, optimizer, steps, log_file=log_file)
    return _Run(task=task, model=model, train_model=train_model, loader=loader,
                sampler=sampler, steps=steps, handle=handle,
                loss_fn=task.loss_fn or torch.nn.functional.cross_entropy, out=out,
                log_file=log_file)


def _run_epoch(run: _Run, env: _Distributed, epoch: int, on_step: Any) -> EpochMetrics:
    """Train one epoch, evaluate (rank 0), check the epoch against the schedule."""
    t0 = time.perf_counter()
    run.train_model.train()
    if run.sampler is not None:
        run.sampler.set_epoch(epoch)
    total, count = _train_steps(run, env, epoch, on_step)
    mean_loss = env.mean(total, count)
    accuracy, extra = _evaluate(run.task, run.model) if env.main else (None, {})
    report = run.handle.epoch_end(epoch)
    return EpochMetrics(
        epoch=epoch, epochs=run.handle.max_epochs, loss=mean_loss, accuracy=accuracy,
        lr=report.lr, sparsity=report.sparsity, expected_sparsity=report.expected_sparsity,
        seconds=time.perf_counter() - t0, report=report, extra=extra)


def _train_steps(run: _Run, env: _Distributed, epoch: int, on_step: Any
                 ) -> tuple[float, int]:
    """One pass over the loader: (sum of the losses weighted by batch size, samples)."""
    handle = run.handle
    total, count = 0.0, 0
    for step, batch in enumerate(run.loader):
        inputs, targets = _to(batch[0], env.device), _to(batch[1], env.device)
        handle.optimizer.zero_grad()
        outputs = run.train_model(inputs)
        loss = run.loss_fn(outputs, targets)
        loss = handle.optimizer.loss_update(loss)
        value = float(loss.detach().item())
        if not math.isfinite(value):
            raise TrainingError(f"the loss is {value} at epoch {epoch}, step {step}; "
                                "lower the learning rate")
        loss.backward()
        handle.optimizer.step()
        n = len(targets) if hasattr(targets, "__len__") else 1
        total += value * n
        count += n
        if on_step is not None and env.main:
            on_step(epoch, step, run.steps, value)
    return total, count


def _summary(run: _Run, env: _Distributed, history: list[EpochMetrics], *, recipe: str,
             epochs: float | None, seed: int, train_seconds: float) -> dict[str, Any]:
    """`metrics.json`'s content before the files are written (rank 0)."""
    weights = prunable_weights(run.model)
    numel = sum(int(w.numel()) for w in weights.values())
    zeros = sum(int((w == 0).sum().item()) for w in weights.values())
    last = history[-1] if history else None
    return {
        "recipe": recipe,
        "task": run.task.name, "epochs": run.handle.max_epochs, "rescaled_to": epochs,
        "steps_per_epoch": run.steps, "world_size": env.world_size, "seed": seed,
        "train_seconds": train_seconds,
        "history": [m.to_dict() for m in history],
        "warnings": [w for m in history for w in m.warnings],
        "final": {"accuracy": last.accuracy if last is not None else None,
                  "loss": last.loss if last is not None else None,
                  "lr": last.lr if last is not None else None,
                  "sparsity": last.sparsity if last is not None else 0.0,
                  "weight_sparsity": zeros / numel if numel else 0.0},
    }


def _write_outputs(run: _Run, summary: dict[str, Any], files: dict[str, str], *,
                   export: bool, started: float, torch: Any) -> ExportResult | None:
    """Write the recipe, the checkpoint, the ONNX export and `metrics.json` into `run.out`
    (rank 0); fills `files` and `summary`, returns the export's result."""
    out, handle, model = run.out, run.handle, run.model
    assert out is not None
    export_result = None
    atomic_write(out / FILES["recipe"], handle.finalized)
    files["recipe"] = str(out / FILES["recipe"])
    buf = io.BytesIO()
    torch.save({"state_dict": model.state_dict(), "epochs": handle.max_epochs,
                "recipe": handle.finalized}, buf)
    atomic_write_bytes(out / FILES["checkpoint"], buf.getvalue())
    files["checkpoint"] = str(out / FILES["checkpoint"])
    if export:
        export_result = export_onnx(model, run.task.sample_input, out / FILES["onnx"])
        files["onnx"] = export_result.path
        summary["export"] = export_result.to_dict()
    if run.log_file is not None and run.log_file.exists():
        files["log"] = str(run.log_file)
    summary["files"] = dict(files, metrics=str(out / FILES["metrics"]))
    summary["seconds"] = time.perf_counter() - started
    write_json(out / FILES["metrics"], summary)
    files["metrics"] = str(out / FILES["metrics"])
    return export_result


def _recipe_label(recipe: Any, loaded: Any) -> str:
    if isinstance(recipe, str) and ("\n" in recipe or "\r" in recipe):
        return loaded.path or "<text>"
    if isinstance(recipe, (str, os.PathLike)):
        return os.fspath(recipe)
    return getattr(loaded, "path", None) or "<text>"
