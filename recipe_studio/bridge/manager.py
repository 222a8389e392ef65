"""Run a recipe in training: finalize it, hand it to SparseML, and check what SparseML does.

:func:`apply` is the one entry point. It loads and validates the recipe with recipe-studio
(so a broken recipe stops here, with positioned diagnostics, before any model or optimizer
is touched), writes the finalized text SparseML should run, builds SparseML 1.8's
`ScheduledModifierManager` from that text and wraps the optimizer. The returned
:class:`Handle` has a per-epoch callback, :meth:`Handle.epoch_end`, that measures the real
sparsity of every parameter a pruner holds and the learning rate, and compares both with
the prediction of :mod:`recipe_studio.bridge.expect`; a difference is a
:class:`ScheduleMismatch` warning (and is listed in the report), never an exception.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recipe_studio.bridge._deps import require
from recipe_studio.bridge.errors import RecipeError
from recipe_studio.bridge.expect import (
    MASK_PRUNERS, EpochExpectation, PrunerPlan, ScheduleSimulation, expected_zeros,
)
from recipe_studio.bridge.qat_guard import check_qat_ready, quantization_fusers
from recipe_studio.read.recipe import Recipe
from recipe_studio.read.variables import Override

#: SparseML's modifier logs go here (instead of its default `sparse_logs/` in the cwd)
SPARSEML_LOGGER = "recipe_studio.sparseml"


class ScheduleMismatch(UserWarning):
    """What SparseML did to the model differs from what the recipe's schedule predicts."""


class _Fractions:
    """`sparsity` and `expected` from `zeros`, `expected_zeros` and `numel`."""

    numel: int
    zeros: int
    expected_zeros: int | None

    @property
    def sparsity(self) -> float:
        return self.zeros / self.numel if self.numel else 0.0

    @property
    def expected(self) -> float | None:
        if self.expected_zeros is None or not self.numel:
            return None
        return self.expected_zeros / self.numel


@dataclass
class ParamSparsity(_Fractions):
    """Measured (and expected) sparsity of one parameter a pruner holds."""

    name: str
    numel: int
    zeros: int
    expected_zeros: int | None = None
    #: the tensor holds NaN (then `zeros` says nothing about the mask)
    nan: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "numel": self.numel, "zeros": self.zeros,
               "sparsity": self.sparsity, "expected": self.expected}
        if self.nan:
            out["nan"] = True
        return out


@dataclass
class PrunerReport(_Fractions):
    """One pruning modifier at the end of an epoch."""

    index: int
    type: str
    line: int
    global_sparsity: bool
    params: list[ParamSparsity]
    #: expected total zeros over `params` (None: not predicted)
    expected_zeros: int | None
    note: str | None = None

    @property
    def numel(self) -> int:
        return sum(p.numel for p in self.params)

    @property
    def zeros(self) -> int:
        return sum(p.zeros for p in self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "type": self.type, "line": self.line,
                "global_sparsity": self.global_sparsity, "sparsity": self.sparsity,
                "expected": self.expected, "note": self.note,
                "params": [p.to_dict() for p in self.params]}


@dataclass
class EpochReport:
    """What the per-epoch callback measured, next to what the schedule predicts."""

    epoch: int
    lr: float
    expected_lr: float | None
    pruners: list[PrunerReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the pruning masks are the same on every rank (None: not distributed)
    masks_identical: bool | None = None

    @property
    def params(self) -> dict[str, ParamSparsity]:
        """Every pruned parameter (first pruner wins for a parameter held twice)."""
        out: dict[str, ParamSparsity] = {}
        for pr in self.pruners:
            for p in pr.params:
                out.setdefault(p.name, p)
        return out

    @property
    def sparsity(self) -> float:
        """Overall sparsity of the pruned parameters (0 when nothing is pruned)."""
        params = self.params.values()
        numel = sum(p.numel for p in params)
        return sum(p.zeros for p in params) / numel if numel else 0.0

    @property
    def expected_sparsity(self) -> float | None:
        params = list(self.params.values())
        if not params:
            return None
        expected = 0
        for pr in self.pruners:
            if pr.expected_zeros is None:
                return None
        seen: set[str] = set()
        for pr in self.pruners:
            names = [p.name for p in pr.params if p.name not in seen]
            if len(names) != len(pr.params):  # overlapping pruners: no simple total
                return None
            seen.update(names)
            expected += pr.expected_zeros  # type: ignore[operator]
        return expected / sum(p.numel for p in params)

    @property
    def ok(self) -> bool:
        return not self.warnings

    def to_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "lr": self.lr, "expected_lr": self.expected_lr,
                "sparsity": self.sparsity, "expected_sparsity": self.expected_sparsity,
                "masks_identical": self.masks_identical, "warnings": list(self.warnings),
                "pruners": [p.to_dict() for p in self.pruners]}


@dataclass
class _Tracked:
    plan: PrunerPlan | None
    modifier: Any
    line: int
    names: list[str]
    numels: list[int]
    init_sparsity: list[float]


class Handle:
    """A recipe applied to a model: SparseML's manager, the wrapped optimizer, and checks.

    Attributes:
        manager: SparseML's `ScheduledModifierManager`.
        optimizer: the wrapped optimizer (use it for `zero_grad()`/`step()` in training).
        model: the module the recipe modifies (unwrapped from DDP/DataParallel).
        recipe: the loaded recipe; `finalized` is the exact text SparseML runs.
        max_epochs: SparseML's training length for the recipe.
        steps_per_epoch: as given to :func:`apply`.
    """

    def __init__(self, *, manager: Any, optimizer: Any, model: Any, recipe: Recipe,
                 finalized: str, steps_per_epoch: int, warn: bool):
        self.manager = manager
        self.optimizer = optimizer
        self.model = model
        self.recipe = recipe
        self.finalized = finalized
        self.steps_per_epoch = steps_per_epoch
        self.max_epochs = int(manager.max_epochs)
        self.warn = warn
        self.history: list[EpochReport] = []
        base_lr = float(optimizer.param_groups[0]["lr"])
        self.simulation = ScheduleSimulation(recipe, steps_per_epoch, base_lr=base_lr)
        self._tracked = self._track()

    # -- mapping SparseML's modifiers to the recipe ------------------------------------
    def _track(self) -> list[_Tracked]:
        plans = list(self.simulation.pruners)
        lines = {m.index: m.line for m in self.recipe.modifiers}
        tracked = []
        for mod in self.manager.iter_modifiers():
            masks = getattr(mod, "module_masks", None) if type(mod).__name__ in MASK_PRUNERS \
                else None
            if masks is None:
                continue
            plan = self._match(mod, plans)
            if plan is not None:
                plans.remove(plan)
            names = [f"{ln}.{pn}" for ln, pn in zip(masks.layer_names, masks.param_names)]
            tensors = masks.params_data
            tracked.append(_Tracked(
                plan=plan, modifier=mod, line=lines.get(plan.index, 0) if plan else 0,
                names=names, numels=[int(t.numel()) for t in tensors],
                init_sparsity=[_zeros(t) / max(1, int(t.numel())) for t in tensors]))
        tracked.sort(key=lambda t: t.plan.index if t.plan else 1 << 30)
        return tracked

    @staticmethod
    def _match(mod: Any, plans: list[PrunerPlan]) -> PrunerPlan | None:
        name = type(mod).__name__
        same = [p for p in plans if p.type == name]
        for p in same:
            if (math.isclose(float(getattr(mod, "start_epoch", p.start)), p.start)
                    and math.isclose(float(getattr(mod, "end_epoch", p.end)), p.end)):
                return p
        return same[0] if same else None

    # -- measuring ---------------------------------------------------------------------
    def measure(self) -> list[PrunerReport]:
        """The sparsity of every parameter a pruner holds, right now (no expectation)."""
        return [self._report(t, None) for t in self._tracked]

    def _report(self, t: _Tracked, expectation: EpochExpectation | None) -> PrunerReport:
        tensors = t.modifier.module_masks.params_data
        params = [ParamSparsity(n, k, _zeros(x), nan=_has_nan(x))
                  for n, k, x in zip(t.names, t.numels, tensors)]
        note = t.plan.unpredicted if t.plan else "not found in the recipe"
        expected_total = None
        if t.plan is not None and expectation is not None and not t.plan.unpredicted:
            state = expectation.pruner(t.plan.index)
            if state is not None:
                if not state.started:
                    note = "not started"
                elif state.released:
                    note = "masks released (leave_enabled: false)"
                exp = expected_zeros(t.plan, state, t.names, t.numels, t.init_sparsity)
                if isinstance(exp, list):
                    for p, e in zip(params, exp):
                        p.expected_zeros = e
                    expected_total = sum(exp)
                elif exp is not None:
                    expected_total = exp
        return PrunerReport(index=t.plan.index if t.plan else -1, type=type(t.modifier).__name__,
                            line=t.line, global_sparsity=bool(t.plan and t.plan.global_sparsity),
                            params=params, expected_zeros=expected_total, note=note)

    def epoch_end(self, epoch: int) -> EpochReport:
        """The per-epoch callback: call after the last optimizer step of (0-based) `epoch`.

        Measures each pruned parameter and the learning rate of param group 0, compares
        them with the schedule's prediction, warns (:class:`ScheduleMismatch`) on any
        difference, and returns (and records in `history`) the report. In a distributed run
        every rank must call it (the mask comparison is a collective).
        """
        expectation = self.simulation.at_epoch_end(epoch)
        lr = float(self.optimizer.param_groups[0]["lr"])
        report = EpochReport(epoch=epoch, lr=lr, expected_lr=expectation.lr,
                             pruners=[self._report(t, expectation) for t in self._tracked])
        problems = report.warnings
        if expectation.lr is not None and not math.isclose(lr, expectation.lr,
                                                           rel_tol=1e-9, abs_tol=1e-12):
            problems.append(f"epoch {epoch}: learning rate is {lr:.6g}, the schedule "
                            f"predicts {expectation.lr:.6g}")
        for pr in report.pruners:
            where = f"`!{pr.type}` (line {pr.line})" if pr.line else f"`!{pr.type}`"
            nan = [p.name for p in pr.params if p.nan]
            if nan:
                problems.append(f"epoch {epoch}: {where}: {', '.join(nan)} hold NaN weights; "
                                "the measured sparsity is meaningless (bound the loss)")
                continue
            if pr.expected_zeros is None:
                continue
            if pr.global_sparsity:
                if abs(pr.zeros - pr.expected_zeros) > 1:
                    problems.append(
                        f"epoch {epoch}: {where}: global sparsity is {pr.sparsity:.4%}, the "
                        f"schedule predicts {pr.expected:.4%} ({pr.zeros} vs "
                        f"{pr.expected_zeros} zeros)")
                continue
            for p in pr.params:
                if p.expected_zeros is not None and abs(p.zeros - p.expected_zeros) > 1:
                    problems.append(
                        f"epoch {epoch}: {where}: `{p.name}` sparsity is {p.sparsity:.4%}, "
                        f"the schedule predicts {p.expected:.4%} ({p.zeros} vs "
                        f"{p.expected_zeros} zeros)")
        report.masks_identical = self._masks_identical()
        if report.masks_identical is False:
            problems.append(f"epoch {epoch}: pruning masks differ between ranks")
        if self.warn:
            for message in problems:
                warnings.warn(message, ScheduleMismatch, stacklevel=2)
        self.history.append(report)
        return report

    #: the per-epoch callback under the name the issue uses
    callback = epoch_end

    def _masks_identical(self) -> bool | None:
        torch = require("torch")
        dist = torch.distributed
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
            return None
        digest = 0
        for t in self._tracked:
            for x in t.modifier.module_masks.params_data:
                mask = (x.detach() == 0).to("cpu").numpy().tobytes()
                digest = zlib.crc32(mask, digest)
        gathered: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, digest)
        return len(set(gathered)) == 1

    def finalize(self) -> None:
        """SparseML's end of training: removes hooks; masks stay applied to the weights."""
        self.manager.finalize(self.model)


def _zeros(x: Any) -> int:
    return int((x.detach() == 0).sum().item())


def _has_nan(x: Any) -> bool:
    torch = require("torch")
    return bool(torch.isnan(x.detach()).any().item())


def unwrap(model: Any) -> Any:
    """The module inside DistributedDataParallel / DataParallel (or the model itself)."""
    torch = require("torch")
    parallel = (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)
    return model.module if isinstance(model, parallel) else model


def load_recipe(recipe: str | os.PathLike[str] | Recipe, *,
                variables: Mapping[str, Any] | Iterable[Override] | None = None,
                epochs: float | None = None) -> Recipe:
    """Load (optionally rescale to `epochs`) and validate a recipe; raise
    :class:`RecipeError` with the diagnostics when SparseML would not run it.

    `recipe` is a path, recipe text (anything with a newline) or a loaded :class:`Recipe`.
    `--epochs` scaling applies to the recipe as written; `variables` override afterwards.
    """
    from recipe_studio.read.load import load
    from recipe_studio.read.source import SourceError, read_source

    path: str | None = None
    text: str | None = None
    if isinstance(recipe, Recipe):
        if epochs is None and not variables:
            if not recipe.ok:
                raise RecipeError(_invalid(recipe), recipe.errors, recipe)
            return recipe
        if recipe.source is None:
            raise RecipeError(_invalid(recipe), recipe.errors, recipe)
        path, text = recipe.path, recipe.source.text
    elif isinstance(recipe, str) and ("\n" in recipe or "\r" in recipe):
        text = recipe
    else:
        path = os.fspath(recipe)
    if epochs is not None:
        from recipe_studio.transform.scale import ScaleError, scale_recipe_text

        if text is None:
            try:
                text = read_source(path).text  # type: ignore[arg-type]
            except SourceError as e:
                raise RecipeError(e.diagnostic.message, [e.diagnostic]) from None
        try:
            text = scale_recipe_text(text, float(epochs), path=path)
        except ScaleError as e:
            raise RecipeError(f"cannot scale the recipe to {epochs:g} epochs: {e.message}",
                              e.diagnostics) from None
    loaded = load(text if text is not None else path,  # type: ignore[arg-type]
                  overrides=variables or (), path=path)
    if not loaded.ok:
        raise RecipeError(_invalid(loaded), loaded.errors, loaded)
    return loaded


def _invalid(recipe: Recipe) -> str:
    n = len(recipe.errors)
    return (f"{recipe.path or 'the recipe'} has {n} error{'s' if n != 1 else ''}; "
            "SparseML 1.8 would not run it")


def apply(recipe: str | os.PathLike[str] | Recipe, model: Any, optimizer: Any,
          steps_per_epoch: int, *,
          variables: Mapping[str, Any] | Iterable[Override] | None = None,
          epochs: float | None = None, warn: bool = True,
          log_file: str | os.PathLike[str] | None = None) -> Handle:
    """Apply a recipe to a model and optimizer for training with SparseML 1.8.

    Args:
        recipe: a path (.yaml/.md), recipe text, or a loaded :class:`Recipe`.
        model: the torch module (DistributedDataParallel/DataParallel are unwrapped; wrap
            the model before calling so every rank applies the recipe to the same weights).
        optimizer: the torch optimizer; train with `handle.optimizer`, the wrapped one.
        steps_per_epoch: optimizer steps per epoch (the same on every rank).
        variables: recipe variable overrides (`{"num_epochs": 20}` or `Override`s).
        epochs: rescale the recipe to this many epochs first (`recipe_studio.transform.scale`).
        warn: emit :class:`ScheduleMismatch` warnings from the per-epoch callback.
        log_file: where SparseML's modifier logs go (default: nowhere; SparseML's own
            default would create `sparse_logs/` in the working directory).

    Returns:
        A :class:`Handle`.

    Raises:
        RecipeError: the recipe has errors (nothing was modified).
        QATNotReady: the recipe quantizes and the model would make QAT produce NaN (a zero
            BatchNorm gamma in a conv-BN pair, NaN/inf weights or observers); a
            :class:`RecipeError` too; nothing was modified.
        MissingDependency: the `sparseml` extra is not installed.
    """
    if int(steps_per_epoch) <= 0:
        raise ValueError("steps_per_epoch must be a positive integer")
    loaded = load_recipe(recipe, variables=variables, epochs=epochs)
    from recipe_studio.transform.finalize import finalize_yaml

    finalized = finalize_yaml(loaded)
    optim = require("sparseml.pytorch.optim")
    loggers = _loggers(log_file)
    manager = optim.ScheduledModifierManager.from_yaml(finalized)
    base = unwrap(model)
    # a model that would make QAT produce NaN is refused before SparseML modifies it
    for fuse in quantization_fusers(manager):
        check_qat_ready(base, fuse=fuse)
    wrapped = manager.modify(base, optimizer, steps_per_epoch=int(steps_per_epoch),
                             loggers=loggers)
    return Handle(manager=manager, optimizer=wrapped, model=base, recipe=loaded,
                  finalized=finalized, steps_per_epoch=int(steps_per_epoch), warn=warn)


def apply_oneshot(recipe: str | os.PathLike[str] | Recipe, model: Any, *,
                  variables: Mapping[str, Any] | Iterable[Override] | None = None
                  ) -> dict[str, float]:
    """Apply a recipe in one shot (SparseML's `manager.apply`: pruners jump to their final
    targets) and return the sparsity of every parameter a pruner touched."""
    loaded = load_recipe(recipe, variables=variables)
    from recipe_studio.transform.finalize import finalize_yaml

    optim = require("sparseml.pytorch.optim")
    manager = optim.ScheduledModifierManager.from_yaml(finalize_yaml(loaded))
    base = unwrap(model)
    manager.apply(base, loggers=_loggers(None))
    out: dict[str, float] = {}
    for mod in manager.iter_modifiers():
        masks = getattr(mod, "module_masks", None)
        if masks is None:
            continue
        for ln, pn, x in zip(masks.layer_names, masks.param_names, masks.params_data):
            out[f"{ln}.{pn}"] = _zeros(x) / max(1, int(x.numel()))
    return out


def _loggers(log_file: str | os.PathLike[str] | None) -> Any:
    utils = require("sparseml.pytorch.utils")
    logger = logging.getLogger(SPARSEML_LOGGER)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    for h in list(logger.handlers):
        if getattr(h, "_recipe_studio", False):
            logger.removeHandler(h)
            h.close()
    handler: logging.Handler
    if log_file is not None:
        handler = logging.FileHandler(os.fspath(log_file), delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    else:
        handler = logging.NullHandler()
    handler._recipe_studio = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    return utils.LoggerManager([utils.PythonLogger(logger=logger)])


def report_dicts(reports: Iterable[EpochReport]) -> list[dict[str, Any]]:
    """JSON-ready form of a list of epoch reports."""
    return [r.to_dict() for r in reports]


__all__ = ["EpochReport", "Handle", "ParamSparsity", "PrunerReport", "RecipeError",
           "ScheduleMismatch", "apply", "apply_oneshot", "load_recipe", "unwrap",
           "report_dicts"]
