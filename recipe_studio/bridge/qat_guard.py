"""Is a model ready for quantization-aware training? Refuse what would make QAT produce NaN.

SparseML 1.8's legacy `QuantizationModifier` fuses conv→BN(→ReLU) before QAT
(`fuse_module_conv_bn_relus`: a `Conv2d`, then a `BatchNorm2d` registered next to it in the
same submodule) and torch's fused QAT module (`torch.ao.nn.intrinsic.qat.ConvBn2d`) folds the
batch norm into the weights by scaling them with gamma/sigma and divides the convolution's
output by the same factor. A BN gamma of exactly 0 (SparseML's own ResNets initialise the last
BN of every residual block that way, "zero-init residual") therefore turns the first QAT
forward pass into NaN; the observers record NaN ranges, the exported graph carries NaN
scales, and DeepSparse refuses it (onnxruntime happily returns NaN). Non-finite weights or
running statistics, and observers that already hold NaN/inf scales, end the same way.

:func:`qat_problems` lists those causes by module name; :func:`check_qat_ready` raises
:class:`QATNotReady` with them. :func:`recipe_studio.bridge.apply` runs the check for every
quantization modifier of a recipe *before* SparseML touches the model (nothing has trained
yet), and :func:`recipe_studio.bridge.export_onnx` checks the observers and the output
before exporting.

A leaf below :mod:`~recipe_studio.bridge.manager` (which runs the check) and
:mod:`~recipe_studio.bridge.qat` (which quantizes through the manager): the imports point
one way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from recipe_studio.bridge._deps import require
from recipe_studio.bridge.errors import RecipeError

#: |gamma| at or below this is treated as zero (gamma/sigma underflows to 0 in float32)
ZERO_GAMMA = 1e-30


@dataclass(frozen=True)
class QATProblem:
    """One reason QAT would produce NaN, at `module` (a `named_modules()` name)."""

    module: str
    #: "zero-gamma", "non-finite-parameter", "non-finite-buffer", "non-finite-observer",
    #: "eval-mode"
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"`{self.module or '<model>'}`: {self.detail}"


class QATNotReady(RecipeError):
    """The model would make QAT (or its export) produce NaN; nothing was modified."""

    def __init__(self, problems: Sequence[QATProblem], when: str = "before training"):
        self.problems = list(problems)
        kinds = {p.kind for p in self.problems}
        advice = []
        if "zero-gamma" in kinds:
            advice.append("torch's fused ConvBn QAT module divides by gamma/sigma, so a zero "
                          "BatchNorm gamma makes every QAT forward pass NaN: train the dense "
                          "model first (a trained model has non-zero gammas), or initialise "
                          "those gammas to a non-zero value (e.g. SparseML ResNets' "
                          "zero-init residual BNs)")
        if kinds & {"non-finite-parameter", "non-finite-buffer"}:
            advice.append("the model already holds NaN/inf values: load a healthy checkpoint")
        if "eval-mode" in kinds:
            advice.append("QAT fuses conv-BN pairs for training, which needs train mode")
        if "non-finite-observer" in kinds:
            advice.append("the quantization observers recorded NaN/inf ranges, so the exported "
                          "graph would carry NaN scales, which DeepSparse rejects")
        shown = "; ".join(str(p) for p in self.problems[:8])
        more = len(self.problems) - 8
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(f"the model is not ready for quantization-aware training ({when}): "
                         f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}: "
                         f"{shown}. " + ". ".join(advice))


def fused_conv_bns(module: Any, prefix: str = "") -> list[tuple[str, str]]:
    """The (conv, batch norm) name pairs SparseML's `fuse_module_conv_bn_relus` will fuse:
    a `Conv2d` directly followed, in `named_modules()` order and in the same submodule, by a
    `BatchNorm2d` (its own rule, re-implemented without modifying anything)."""
    torch = require("torch")
    nn = torch.nn
    pairs = []
    last_conv: tuple[str, str] | None = None  # (name, parent)
    for name, layer in module.named_modules():
        parent = name.rpartition(".")[0]
        if (last_conv is not None and isinstance(layer, nn.BatchNorm2d)
                and parent == last_conv[1]):
            pairs.append((_join(prefix, last_conv[0]), _join(prefix, name)))
            last_conv = None
            continue
        last_conv = (name, parent) if isinstance(layer, nn.Conv2d) else None
    return pairs


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def _finite(t: Any) -> bool:
    torch = require("torch")
    return bool(torch.isfinite(t).all().item()) if t.is_floating_point() else True


def qat_problems(model: Any, *, fuse: str | None = "conv_bn_relus") -> list[QATProblem]:
    """Why QAT on `model` would produce NaN (empty: it would not).

    The whole model is checked, whatever the modifier's `submodules`: SparseML's legacy
    modifier fuses conv-BN pairs across the whole model before quantizing the submodules.

    Args:
        model: the torch module (wrappers unwrapped by the caller).
        fuse: the modifier's `model_fuse_fn_name`: `no_fuse` skips the gamma check (no BN is
            folded into a convolution); a model method name checks every BatchNorm2d.
    """
    torch = require("torch")
    nn = torch.nn
    named = dict(model.named_modules())
    roots = [""]
    problems: list[QATProblem] = []
    if fuse == "conv_bn_relus" and not model.training and fused_conv_bns(model):
        # SparseML fuses with torch's eval-mode fusion then (BN folded into a float conv,
        # no ConvBn QAT module) and fails its own count of fused modules
        problems.append(QATProblem(
            "", "eval-mode", "the model is in eval mode, so SparseML's conv-BN fusion would "
            "fold the batch norms for inference instead of building QAT ConvBn modules "
            "(and fail its count of fused modules): call model.train() first"))
    seen: set[str] = set()
    for root in roots:
        mod = named[root]
        if fuse in (None, "no_fuse", "none"):
            bns: list[str] = []
        elif fuse == "conv_bn_relus":
            bns = [bn for _, bn in fused_conv_bns(mod, root)]
        else:
            bns = [_join(root, n) for n, m in mod.named_modules()
                   if isinstance(m, nn.BatchNorm2d)]
        for bn_name in bns:
            gamma = getattr(named[bn_name], "weight", None)
            if gamma is None:
                continue
            zero = int((gamma.detach().abs() <= ZERO_GAMMA).sum().item())
            if zero:
                problems.append(QATProblem(
                    bn_name, "zero-gamma",
                    f"{zero} of {gamma.numel()} BatchNorm gammas are 0"))
        for name, sub in mod.named_modules():
            full = _join(root, name)
            if full in seen:
                continue
            seen.add(full)
            for pname, p in sub.named_parameters(recurse=False):
                if not _finite(p.detach()):
                    problems.append(QATProblem(full, "non-finite-parameter",
                                               f"parameter `{pname}` holds NaN/inf"))
            for bname, b in sub.named_buffers(recurse=False):
                if b is None or b.numel() == 0 or not b.is_floating_point():
                    continue
                if _is_observer(sub):
                    continue
                if not _finite(b):
                    problems.append(QATProblem(full, "non-finite-buffer",
                                               f"buffer `{bname}` holds NaN/inf"))
        problems.extend(observer_problems(mod, root))
    return problems


def _is_observer(module: Any) -> bool:
    torch = require("torch")
    ao = torch.ao.quantization
    return isinstance(module, (ao.ObserverBase, ao.FakeQuantizeBase))


def observer_problems(model: Any, prefix: str = "") -> list[QATProblem]:
    """Fake-quantize modules whose scale or zero point is NaN/inf (or scale <= 0), and
    observers whose recorded range holds NaN. An observer that has seen no data yet keeps
    its initial +/-inf range and default scale: that is not a problem."""
    torch = require("torch")
    ao = torch.ao.quantization
    out = []
    for name, sub in model.named_modules():
        full = _join(prefix, name)
        if isinstance(sub, ao.FakeQuantizeBase):
            scale = getattr(sub, "scale", None)
            zp = getattr(sub, "zero_point", None)
            bad = []
            if scale is not None and scale.numel():
                if not _finite(scale):
                    bad.append("scale NaN/inf")
                elif bool((scale <= 0).any().item()):
                    bad.append("scale <= 0")
            if zp is not None and zp.numel() and zp.is_floating_point() and not _finite(zp):
                bad.append("zero point NaN/inf")
            if bad:
                out.append(QATProblem(full, "non-finite-observer", ", ".join(bad)))
        elif isinstance(sub, ao.ObserverBase):
            for attr in ("min_val", "max_val"):
                v = getattr(sub, attr, None)
                if isinstance(v, torch.Tensor) and v.numel() and bool(torch.isnan(v).any()):
                    out.append(QATProblem(full, "non-finite-observer",
                                          f"observed `{attr}` is NaN"))
                    break
    return out


def quantization_fusers(manager: Any) -> list[str | None]:
    """The fuse function name of every quantization modifier SparseML parsed."""
    out = []
    for mod in manager.iter_modifiers():
        if "Quantization" not in type(mod).__name__:
            continue
        fuse = getattr(mod, "model_fuse_fn_name", "conv_bn_relus")
        out.append(fuse.lower() if isinstance(fuse, str) and fuse.lower() in
                   ("conv_bn_relus", "no_fuse", "none") else fuse)
    return out


def check_qat_ready(model: Any, *, fuse: str | None = "conv_bn_relus",
                    when: str = "before training") -> None:
    """Raise :class:`QATNotReady` when :func:`qat_problems` finds anything."""
    problems = qat_problems(model, fuse=fuse)
    if problems:
        raise QATNotReady(problems, when)


def is_finite_output(value: Any) -> bool:
    """Whether every tensor in a (nested) model output is finite."""
    torch = require("torch")
    if isinstance(value, torch.Tensor):
        return _finite(value.detach())
    if isinstance(value, (list, tuple)):
        return all(is_finite_output(v) for v in value)
    if isinstance(value, dict):
        return all(is_finite_output(v) for v in value.values())
    return not (isinstance(value, float) and not math.isfinite(value))
