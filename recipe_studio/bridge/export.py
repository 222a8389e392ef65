"""Export a trained (pruned, quantized) model to ONNX with SparseML, and check the file.

:func:`export_onnx` runs SparseML 1.8's `ModuleExporter.export_onnx` on the legacy
TorchScript path (`dynamo=False`: on torch 2.13 the default dynamo exporter needs
onnxscript and does not go through SparseML's graph fixes), then:

* **QAT models** are converted to a quantized graph (`convert_qat=True`: SparseML's
  `ONNXToDeepsparse` turns Q/DQ pairs around Conv/Gemm into `QLinearConv`/`QLinearMatMul`
  with uint8 weights). SparseML's pattern (`FoldConvDivBn`) expects the
  Conv→Div→BatchNormalization that torch's QAT ConvBn module exports when the convolution
  has no bias; with a bias torch inserts an `Add` and the weights stay float. So before
  exporting, a conv bias inside a QAT ConvBn module is folded into the batch norm's running
  mean (exact in eval mode: `bn(y + b)` with mean `m` is `bn(y)` with mean `m - b`).
* **Batch norms** that follow a float convolution are folded into it afterwards
  (SparseML's `fold_conv_bns`), so the exported weights are the ones that run.

The file is written atomically, loaded back in onnxruntime and run on the sample input
(the largest difference from torch's output is reported), and every pruned weight is found
in the graph and checked to still hold at least its zeros (a zero weight quantizes to the
zero point, and folding scales whole output channels, so zeros survive both).
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import logging
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recipe_studio.bridge._deps import require
from recipe_studio.bridge.manager import unwrap
from recipe_studio.bridge.qat_guard import is_finite_output, observer_problems

#: ops whose inputs carry a quantized weight: op -> ((weight input, zero-point input), ...)
_QUANT_WEIGHT_INPUTS = {
    "QLinearConv": ((3, 5),),
    "QLinearMatMul": ((0, 2), (3, 5)),
    "DequantizeLinear": ((0, 2),),
    "ConvInteger": ((1, 3),),
    "MatMulInteger": ((0, 2), (1, 3)),
}


#: `gzip`'s default level (level 9 takes ~4x longer on float weights for ~1% less)
GZIP_LEVEL = 6


class ExportError(RuntimeError):
    """The export failed, or the exported file does not hold what the model holds."""


@dataclass
class ExportedWeight:
    """A weight of the torch model and where it ended up in the ONNX graph."""

    name: str
    numel: int
    zeros: int
    onnx_name: str | None
    onnx_zeros: int | None
    onnx_dtype: str | None
    #: zeros that lie in all-zero blocks of 4 consecutive input channels (see
    #: :func:`block4_zeros`)
    block4_zeros: int = 0

    @property
    def sparsity(self) -> float:
        return self.zeros / self.numel if self.numel else 0.0

    @property
    def onnx_sparsity(self) -> float | None:
        if self.onnx_zeros is None or not self.numel:
            return None
        return self.onnx_zeros / self.numel

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "numel": self.numel, "sparsity": self.sparsity,
                "onnx_name": self.onnx_name, "onnx_dtype": self.onnx_dtype,
                "onnx_sparsity": self.onnx_sparsity, "block4_zeros": self.block4_zeros}


@dataclass
class ExportResult:
    """What :func:`export_onnx` wrote and verified."""

    path: str
    bytes: int
    gzip_bytes: int
    quantized: bool
    ops: dict[str, int]
    weights: list[ExportedWeight] = field(default_factory=list)
    #: largest |onnxruntime - torch| over the outputs for the sample input
    max_abs_diff: float | None = None

    @property
    def sparsity(self) -> float:
        """Zeros over all conv/linear weights of the torch model."""
        numel = sum(w.numel for w in self.weights)
        return sum(w.zeros for w in self.weights) / numel if numel else 0.0

    @property
    def onnx_sparsity(self) -> float | None:
        """Zeros (or zero points) over the same weights in the ONNX graph."""
        found = [w for w in self.weights if w.onnx_zeros is not None]
        numel = sum(w.numel for w in found)
        return sum(w.onnx_zeros or 0 for w in found) / numel if numel else None

    @property
    def block4_fraction(self) -> float | None:
        """The share of the pruned zeros that lie in all-zero blocks of 4 consecutive input
        channels (1.0 after SparseML's `mask_type: block4`, about sparsity³ for unstructured
        zeros): DeepSparse's sparse int8 kernels on VNNI CPUs skip such blocks. None when
        nothing is pruned."""
        zeros = sum(w.zeros for w in self.weights)
        return sum(w.block4_zeros for w in self.weights) / zeros if zeros else None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.bytes, "gzip_bytes": self.gzip_bytes,
                "quantized": self.quantized, "sparsity": self.sparsity,
                "onnx_sparsity": self.onnx_sparsity, "block4_fraction": self.block4_fraction,
                "max_abs_diff": self.max_abs_diff,
                "ops": self.ops, "weights": [w.to_dict() for w in self.weights]}


def is_qat(model: Any) -> bool:
    """Whether the model carries quantization-aware-training modules (fake quantize)."""
    for m in model.modules():
        if getattr(m, "qconfig", None) is not None or hasattr(m, "weight_fake_quant"):
            return True
    return False


def prunable_weights(model: Any) -> dict[str, Any]:
    """Conv and linear weights (the tensors SparseML's `__ALL_PRUNABLE__` selects), by name."""
    torch = require("torch")
    kinds = (torch.nn.modules.conv._ConvNd, torch.nn.Linear)
    out = {}
    for mod_name, mod in model.named_modules():
        if isinstance(mod, kinds) and isinstance(getattr(mod, "weight", None), torch.Tensor):
            out[f"{mod_name}.weight" if mod_name else "weight"] = mod.weight
    return out


def block4_zeros(mask: Any) -> int:
    """How many of the True entries of a conv/linear weight's zero mask (numpy, input
    channels on axis 1) lie in all-zero blocks of 4 consecutive input channels at the same
    output channel and kernel position — SparseML's `block4` (`FourBlockMaskCreator`) layout;
    a last, shorter block (input channels not a multiple of 4) counts when its entries are
    all zero."""
    numpy = require("numpy")
    mask = numpy.asarray(mask, dtype=bool)
    if mask.ndim < 2:
        return 0
    m = numpy.moveaxis(mask, 1, -1)
    real = numpy.ones(m.shape, dtype=bool)
    pad = (-m.shape[-1]) % 4
    if pad:
        m = numpy.concatenate([m, numpy.ones((*m.shape[:-1], pad), dtype=bool)], axis=-1)
        real = numpy.concatenate([real, numpy.zeros((*real.shape[:-1], pad), dtype=bool)],
                                 axis=-1)
    blocks = m.reshape(-1, 4).all(axis=1)
    return int(real.reshape(-1, 4)[blocks].sum())


def _fold_qat_conv_bias(model: Any) -> int:
    """Move the conv bias of QAT ConvBn modules into the batch norm (see module docstring)."""
    torch = require("torch")
    folded = 0
    for m in model.modules():
        bn = getattr(m, "bn", None)
        bias = getattr(m, "bias", None)
        if (hasattr(m, "weight_fake_quant") and isinstance(bn, torch.nn.modules.batchnorm._BatchNorm)
                and isinstance(bias, torch.Tensor) and bn.running_mean is not None):
            with torch.no_grad():
                bn.running_mean.sub_(bias.detach())
            m.bias = None
            folded += 1
    return folded


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Keep SparseML's INFO logs and torch's exporter warnings off the console."""
    names = ("sparseml", "sparsezoo", "deepsparse", "torch.onnx")
    saved = {n: logging.getLogger(n).level for n in names}
    try:
        for n in names:
            logging.getLogger(n).setLevel(logging.WARNING)
        with warnings.catch_warnings():
            # torch.onnx's TracerWarnings about fake-quantize flags and constant folding
            # are expected for QAT models and say nothing to the user
            warnings.simplefilter("ignore")
            yield
    finally:
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)


def export_onnx(model: Any, sample_input: Any, path: str | os.PathLike[str], *,
                convert_qat: bool = True, fold_batch_norms: bool = True,
                opset: int | None = None, check: bool = True) -> ExportResult:
    """Export `model` to ONNX at `path` with SparseML and verify the file.

    Args:
        model: the trained torch module (DDP/DataParallel are unwrapped; not modified).
        sample_input: a batch for tracing (a tensor, or a tuple of tensors).
        path: the `.onnx` file to write (atomically; parent directories are created).
        convert_qat: convert a QAT model to quantized ONNX ops (uint8 weights).
        fold_batch_norms: fold batch norms into the preceding convolutions.
        opset: the ONNX opset (SparseML's default when None).
        check: load the file in onnxruntime, compare with torch, check the pruned zeros.

    Returns:
        An :class:`ExportResult` (sizes, op counts, per-weight sparsity before and after).

    Raises:
        ExportError: the exporter failed, onnxruntime cannot load the file, a pruned
            weight lost zeros on the way, or a QAT model's observers or output are NaN/inf.
    """
    # every dependency first: a missing extra stops the export before anything is written
    for module in ("torch", "onnx", "sparseml.pytorch.utils"):
        require(module)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    base, quant, weights, sample, expected = _prepare(model, sample_input,
                                                      convert_qat=convert_qat)
    proto = _write_onnx(base, sample, target, convert_qat=bool(quant and convert_qat),
                        fold_batch_norms=fold_batch_norms, opset=opset)
    return _verify(target, proto, weights, sample, expected, check=check)


def _prepare(model: Any, sample_input: Any, *, convert_qat: bool
             ) -> tuple[Any, bool, dict[str, Any], Any, Any]:
    """A CPU eval-mode copy of the model ready to export, whether it is a QAT model, its
    prunable weights (copies), the sample on the CPU, and torch's output on it; refuses a
    QAT model whose observers or output hold NaN/inf."""
    torch = require("torch")
    base = copy.deepcopy(unwrap(model)).cpu().eval()
    quant = is_qat(base)
    if quant and convert_qat:
        _fold_qat_conv_bias(base)
    weights = {n: w.detach().clone() for n, w in prunable_weights(base).items()}
    sample = sample_input.cpu() if hasattr(sample_input, "cpu") else sample_input
    if quant:
        # NaN scales would reach the graph: onnxruntime returns NaN, DeepSparse refuses it
        bad = observer_problems(base)
        if bad:
            raise ExportError("the QAT model's observers hold NaN/inf, so the int8 graph "
                              "would carry NaN scales: " + "; ".join(map(str, bad[:5]))
                              + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
                              + " (a zero BatchNorm gamma in a fused conv-BN is the usual "
                              "cause: see recipe_studio.bridge.qat_guard)")
    with torch.no_grad():
        expected = base(*sample) if isinstance(sample, tuple) else base(sample)
    if quant and not is_finite_output(expected):
        raise ExportError("the QAT model's output is NaN/inf on the sample input; the "
                          "int8 graph would not run (check BatchNorm gammas and the "
                          "weights: recipe_studio.bridge.qat_guard.qat_problems)")
    return base, quant, weights, sample, expected


def _write_onnx(base: Any, sample: Any, target: Path, *, convert_qat: bool,
                fold_batch_norms: bool, opset: int | None) -> Any:
    """SparseML's export of `base` into a temporary file beside `target`, batch norms
    folded, moved into place; returns the graph."""
    onnx = require("onnx")
    sm_utils = require("sparseml.pytorch.utils")
    kwargs: dict[str, Any] = {"dynamo": False}
    if opset is not None:
        kwargs["opset"] = opset
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        name = "model.onnx"
        try:
            with quiet_libraries():
                sm_utils.ModuleExporter(base, tmp).export_onnx(
                    sample, name=name, convert_qat=convert_qat, **kwargs)
        except Exception as e:  # torch/SparseML raise anything; name it and stop
            raise ExportError(f"SparseML's ONNX export failed: {type(e).__name__}: {e}") from e
        tmp_file = os.path.join(tmp, name)
        proto = onnx.load(tmp_file)
        if fold_batch_norms:
            onnx_utils = require("sparseml.onnx.utils")
            with quiet_libraries():
                folded = onnx_utils.fold_conv_bns(proto)
            if folded is not None:
                proto = folded
        onnx.save(proto, tmp_file)
        os.replace(tmp_file, target)
    return proto


def _verify(target: Path, proto: Any, weights: dict[str, Any], sample: Any, expected: Any,
            *, check: bool) -> ExportResult:
    """Sizes and op counts of the written file, each weight found in the graph; with
    `check`, onnxruntime's output compared with torch's and the pruned zeros checked."""
    data = target.read_bytes()
    result = ExportResult(
        path=str(target), bytes=len(data), gzip_bytes=len(gzip.compress(data, GZIP_LEVEL)),
        quantized=_is_quantized(proto), ops=dict(Counter(n.op_type for n in proto.graph.node)))
    result.weights = _match_weights(proto, weights)
    if check:
        result.max_abs_diff = _check_runtime(target, sample, expected)
        lost = [w for w in result.weights if w.zeros and
                (w.onnx_zeros is None or w.onnx_zeros < w.zeros)]
        if lost:
            detail = ", ".join(
                f"`{w.name}` ({w.sparsity:.2%} in torch, "
                + ("not found in the graph" if w.onnx_zeros is None
                   else f"{w.onnx_sparsity:.2%} exported") + ")" for w in lost[:5])
            raise ExportError(f"the exported weights lost the pruned zeros: {detail}")
    return result


def _is_quantized(proto: Any) -> bool:
    numpy_helper = require("onnx.numpy_helper")
    for init in proto.graph.initializer:
        if init.data_type in (2, 3) and len(init.dims) >= 2:  # UINT8, INT8
            if numpy_helper.to_array(init).size > 1:
                return True
    return False


def _zero_points(proto: Any) -> dict[str, Any]:
    """initializer name -> its zero point, for weights consumed by quantized ops."""
    numpy_helper = require("onnx.numpy_helper")
    inits = {i.name: i for i in proto.graph.initializer}
    out = {}
    for node in proto.graph.node:
        for w_idx, zp_idx in _QUANT_WEIGHT_INPUTS.get(node.op_type, ()):
            if len(node.input) <= w_idx or node.input[w_idx] not in inits:
                continue
            zp = 0
            if len(node.input) > zp_idx and node.input[zp_idx] in inits:
                zp = numpy_helper.to_array(inits[node.input[zp_idx]])
            out[node.input[w_idx]] = zp
    return out


def _match_weights(proto: Any, weights: dict[str, Any]) -> list[ExportedWeight]:
    """Find each torch weight among the graph's initializers.

    Names change on the way (QAT wrappers, quantized copies, folded batch norms), so a
    candidate is any initializer of the same shape (or the transposed 2-D shape of a Gemm
    turned MatMul) whose zeros cover the torch weight's zeros; the closest name wins.
    """
    numpy = require("numpy")
    numpy_helper = require("onnx.numpy_helper")
    zps = _zero_points(proto)
    arrays = {}
    for init in proto.graph.initializer:
        if len(init.dims) >= 2:
            arrays[init.name] = numpy_helper.to_array(init)
    used: set[str] = set()
    out = []
    for name, w in weights.items():
        mask = (w == 0).cpu().numpy()
        shape = tuple(mask.shape)
        best = _best_match(name, mask, shape, arrays, zps, used, reuse=False)
        if best is None or best[0] < 10.0:
            # the exporter stores identical initializers once (two fully pruned layers of
            # the same shape share one all-zero tensor): a used one may cover this weight
            shared = _best_match(name, mask, shape, arrays, zps, used, reuse=True)
            if shared is not None and shared[0] >= 10.0:
                best = shared
        in_blocks = block4_zeros(mask)
        if best is None:
            out.append(ExportedWeight(name, int(mask.size), int(mask.sum()), None, None, None,
                                      in_blocks))
            continue
        used.add(best[1])
        dtype = str(arrays[best[1]].dtype)
        out.append(ExportedWeight(name, int(mask.size), int(mask.sum()), best[1], best[2], dtype,
                                  in_blocks))
    return out


def _best_match(name: str, mask: Any, shape: tuple[int, ...], arrays: dict[str, Any],
                zps: dict[str, Any], used: set[str], *, reuse: bool
                ) -> tuple[float, str, int] | None:
    """The best initializer for one weight: (score, name, zeros); covering its zeros adds 10.
    `reuse` searches only the initializers already matched to another weight."""
    numpy = require("numpy")
    best: tuple[float, str, int] | None = None
    for init_name, arr in arrays.items():
        if (init_name in used) != reuse or arr.size != mask.size:
            continue
        zero = numpy.asarray(zps.get(init_name, 0)).reshape(-1)
        onnx_mask = arr == (zero[0] if zero.size == 1 else zero.reshape(-1, *[1] * (arr.ndim - 1)))
        if tuple(arr.shape) == shape:
            candidate = onnx_mask
        elif arr.ndim == 2 and tuple(arr.shape[::-1]) == shape:
            candidate = onnx_mask.T
        else:
            continue
        covers = bool(numpy.all(candidate[mask])) if mask.any() else True
        score = _name_score(name, init_name) + (10.0 if covers else 0.0)
        if best is None or score > best[0]:
            best = (score, init_name, int(candidate.sum()))
    return best


def _name_score(torch_name: str, onnx_name: str) -> float:
    """How much of the torch module path appears in the ONNX name (0..1)."""
    parts = [p for p in torch_name.replace("/", ".").split(".") if p not in ("weight", "module")]
    hay = onnx_name.replace("/", ".")
    if not parts:
        return 0.0
    path = ".".join(parts)
    if path in hay:
        return 1.0
    return sum(1 for p in parts if p in hay.split(".")) / (len(parts) + 1)


def _check_runtime(path: Path, sample: Any, expected: Any) -> float:
    """Load the file in onnxruntime, run the sample, return max |ort - torch|."""
    ort = require("onnxruntime")
    numpy = require("numpy")
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ExportError(f"onnxruntime cannot load {path}: {e}") from e
    inputs = sample if isinstance(sample, (tuple, list)) else (sample,)
    feed = {i.name: x.detach().cpu().numpy() for i, x in zip(session.get_inputs(), inputs)}
    try:
        outputs = session.run(None, feed)
    except Exception as e:
        raise ExportError(f"onnxruntime cannot run {path} on the sample input: {e}") from e
    ref = expected if isinstance(expected, (tuple, list)) else (expected,)
    diff = 0.0
    for got, want in zip(outputs, ref):
        want_np = want.detach().cpu().numpy()
        if got.shape != want_np.shape:
            raise ExportError(f"onnxruntime output shape {got.shape} differs from torch's "
                              f"{want_np.shape}")
        diff = max(diff, float(numpy.max(numpy.abs(got.astype("float64") - want_np))))
    return diff
