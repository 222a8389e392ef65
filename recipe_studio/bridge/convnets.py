"""QAT-ready convnets built in code (random weights, nothing downloaded): ResNet-18/50 and
YOLOv5s.

They are written the way SparseML's own QAT-ready model definitions are
(`sparseml.pytorch.models.classification.resnet`), because SparseML 1.8's legacy
`QuantizationModifier` fuses by *registration order*: its default fusion
(`fuse_module_conv_bn_relus`) walks `named_modules()` and fuses a `Conv2d` followed by a
`BatchNorm2d` (and a `ReLU`) registered next to it in the same submodule. So:

* every conv-BN(-activation) triple is registered in that order in its own submodule, and
  nothing else is registered between them; the ResNet shortcut (`identity`: conv, BN) is
  its own submodule, registered after the main path;
* residual additions go through `torch.ao.nn.quantized.FloatFunctional` (`add_relu` in
  ResNet, `add` in YOLOv5's bottleneck), which QAT gives an output observer: the exported
  graph has quantized inputs and output around every `Add`, the pattern DeepSparse's int8
  kernels take (a float add between quantized convs is what its compiler rejected);
* convolutions followed by a batch norm have no bias (the BN has one).

BatchNorm gammas start at 1 (torch's default). SparseML's ResNets start the last BN of each
residual block at gamma = 0 ("zero-init residual"); torch's fused ConvBn QAT module divides
by gamma/sigma, so such a model makes QAT produce NaN: `zero_init_residual=True` builds that
variant, and :func:`recipe_studio.bridge.qat_guard.check_qat_ready` refuses it.

YOLOv5s follows Ultralytics' published v6 architecture (`yolov5s.yaml`: width 0.50, depth
0.33; Conv-BN-SiLU blocks, C3, SPPF, the PAN neck and the Detect head, 80 classes,
3 anchors per level, 640x640 input) with every layer under the submodule `model`, like
Ultralytics' own model, so the guide's QAT recipe (`submodules: ['model']`) applies as
written. In training mode Detect returns the three raw maps; in eval mode (ONNX export) it
returns the decoded predictions `[batch, 25200, 85]` at 640x640.
"""

from __future__ import annotations

import math
from typing import Any

from recipe_studio.bridge._deps import require


def _nn() -> tuple[Any, Any]:
    torch = require("torch")
    return torch, torch.nn


# Each network is put together from small builders, one per block: a builder takes torch
# (imported on first use, see `_deps`) and returns the block's `nn.Module` class. Within a
# block the registration order is the one SparseML's fusion reads (module docstring).

# ---------------------------------------------------------------------------- ResNet


def resnet18(num_classes: int = 1000, *, zero_init_residual: bool = False) -> Any:
    """ResNet-18 (basic blocks 2-2-2-2, 11.7M parameters at 1000 classes)."""
    return _resnet("basic", (2, 2, 2, 2), num_classes, zero_init_residual)


def resnet50(num_classes: int = 1000, *, zero_init_residual: bool = False) -> Any:
    """ResNet-50 v1.5 (bottlenecks 3-4-6-3, stride on the 3x3 conv; 25.6M parameters)."""
    return _resnet("bottleneck", (3, 4, 6, 3), num_classes, zero_init_residual)


#: the output widths of the four residual stages, by block kind
RESNET_WIDTHS = {"basic": (64, 128, 256, 512), "bottleneck": (256, 512, 1024, 2048)}


def _resnet(kind: str, depths: tuple[int, ...], num_classes: int, zero_init: bool) -> Any:
    torch, nn = _nn()
    block = _basic_block(torch) if kind == "basic" else _bottleneck(torch)
    model = _resnet_class(torch, _resnet_input(torch), _classifier(torch))(
        block, RESNET_WIDTHS[kind], depths, num_classes)
    _init_resnet(nn, model, block, zero_init)
    return model


def _resnet_input(torch: Any) -> Any:
    nn = torch.nn

    class Input(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn = nn.BatchNorm2d(64)
            self.act = nn.ReLU()
            self.pool = nn.MaxPool2d(3, 2, 1)

        def forward(self, x: Any) -> Any:
            return self.pool(self.act(self.bn(self.conv(x))))

    return Input


def _projection(torch: Any) -> Any:
    nn = torch.nn

    class Identity(nn.Module):
        """The projection shortcut: conv 1x1 + BN (fused as ConvBn)."""

        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.bn = nn.BatchNorm2d(cout)

        def forward(self, x: Any) -> Any:
            return self.bn(self.conv(x))

    return Identity


def _basic_block(torch: Any) -> Any:
    nn = torch.nn
    Identity = _projection(torch)

    class BasicBlock(nn.Module):
        #: the residual path's last batch norm (zero-init residual)
        LAST_BN = "bn2"

        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.act1 = nn.ReLU()
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.identity = (Identity(cin, cout, stride) if stride != 1 or cin != cout
                             else None)
            self.add_relu = torch.ao.nn.quantized.FloatFunctional()
            self.last_bn = self.bn2

        def forward(self, x: Any) -> Any:
            out = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
            shortcut = self.identity(x) if self.identity is not None else x
            return self.add_relu.add_relu(shortcut, out)

    return BasicBlock


def _bottleneck(torch: Any) -> Any:
    nn = torch.nn
    Identity = _projection(torch)

    class Bottleneck(nn.Module):
        #: the residual path's last batch norm (zero-init residual)
        LAST_BN = "bn3"

        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            proj = cout // 4
            self.conv1 = nn.Conv2d(cin, proj, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(proj)
            self.act1 = nn.ReLU()
            self.conv2 = nn.Conv2d(proj, proj, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(proj)
            self.act2 = nn.ReLU()
            self.conv3 = nn.Conv2d(proj, cout, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(cout)
            self.identity = (Identity(cin, cout, stride) if stride != 1 or cin != cout
                             else None)
            self.add_relu = torch.ao.nn.quantized.FloatFunctional()

        def forward(self, x: Any) -> Any:
            out = self.act1(self.bn1(self.conv1(x)))
            out = self.act2(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            shortcut = self.identity(x) if self.identity is not None else x
            return self.add_relu.add_relu(shortcut, out)

    return Bottleneck


def _classifier(torch: Any) -> Any:
    nn = torch.nn

    class Classifier(nn.Module):
        def __init__(self, cin: int, num_classes: int) -> None:
            super().__init__()
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(cin, num_classes)

        def forward(self, x: Any) -> Any:
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return Classifier


def _resnet_class(torch: Any, Input: Any, Classifier: Any) -> Any:
    nn = torch.nn

    class ResNet(nn.Module):
        """`input` (stem), `sections` (the residual stages), `classifier` (pool + fc):
        SparseML's layout, so `submodules: ['input', 'sections']` quantizes the convs."""

        def __init__(self, block: Any, widths: tuple[int, ...], depths: tuple[int, ...],
                     num_classes: int) -> None:
            super().__init__()
            self.input = Input()
            cin, sections = 64, []
            for i, (cout, n) in enumerate(zip(widths, depths)):
                blocks = [block(cin if j == 0 else cout, cout, 2 if i > 0 and j == 0 else 1)
                          for j in range(n)]
                sections.append(nn.Sequential(*blocks))
                cin = cout
            self.sections = nn.Sequential(*sections)
            self.classifier = Classifier(cin, num_classes)

        def forward(self, x: Any) -> Any:
            return self.classifier(self.sections(self.input(x)))

    return ResNet


def _init_resnet(nn: Any, model: Any, block: Any, zero_init: bool) -> None:
    """torchvision's initialisation; `zero_init` zeroes each residual path's last BN gamma."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)
    if zero_init:
        for m in model.sections.modules():
            if isinstance(m, block):
                nn.init.zeros_(getattr(m, block.LAST_BN).weight)


# ---------------------------------------------------------------------------- YOLOv5s

#: Ultralytics' default anchors (pixels) for the P3/8, P4/16, P5/32 outputs
ANCHORS = ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119), (116, 90, 156, 198, 373, 326))
STRIDES = (8, 16, 32)

#: yolov5s.yaml (v6.0+): (from, repeats, module, args) before width/depth scaling
YOLOV5_LAYOUT: tuple[tuple[Any, int, str, tuple[Any, ...]], ...] = (
    # backbone
    (-1, 1, "Conv", (64, 6, 2, 2)),      # 0-P1/2
    (-1, 1, "Conv", (128, 3, 2)),        # 1-P2/4
    (-1, 3, "C3", (128,)),               # 2
    (-1, 1, "Conv", (256, 3, 2)),        # 3-P3/8
    (-1, 6, "C3", (256,)),               # 4
    (-1, 1, "Conv", (512, 3, 2)),        # 5-P4/16
    (-1, 9, "C3", (512,)),               # 6
    (-1, 1, "Conv", (1024, 3, 2)),       # 7-P5/32
    (-1, 3, "C3", (1024,)),              # 8
    (-1, 1, "SPPF", (1024, 5)),          # 9
    # head (PAN)
    (-1, 1, "Conv", (512, 1, 1)),        # 10
    (-1, 1, "Upsample", ()),             # 11
    ((-1, 6), 1, "Concat", ()),          # 12 cat backbone P4
    (-1, 3, "C3", (512, False)),         # 13
    (-1, 1, "Conv", (256, 1, 1)),        # 14
    (-1, 1, "Upsample", ()),             # 15
    ((-1, 4), 1, "Concat", ()),          # 16 cat backbone P3
    (-1, 3, "C3", (256, False)),         # 17 (P3/8-small)
    (-1, 1, "Conv", (256, 3, 2)),        # 18
    ((-1, 14), 1, "Concat", ()),         # 19 cat head P4
    (-1, 3, "C3", (512, False)),         # 20 (P4/16-medium)
    (-1, 1, "Conv", (512, 3, 2)),        # 21
    ((-1, 10), 1, "Concat", ()),         # 22 cat head P5
    (-1, 3, "C3", (1024, False)),        # 23 (P5/32-large)
    ((17, 20, 23), 1, "Detect", ()),     # 24
)


def _make_divisible(x: float, divisor: int = 8) -> int:
    return int(math.ceil(x / divisor) * divisor)


def yolov5s(num_classes: int = 80, *, width: float = 0.50, depth: float = 0.33) -> Any:
    """YOLOv5s (7.2M parameters at 80 classes); other widths/depths give n/m/l/x."""
    torch, _ = _nn()
    layers, sources = _yolo_layers(torch, num_classes, width, depth)
    return _yolo_class(torch)(layers, sources)


def _yolo_layers(torch: Any, num_classes: int, width: float, depth: float
                 ) -> tuple[list[Any], list[Any]]:
    """The layers of :data:`YOLOV5_LAYOUT` scaled by `width` and `depth`, and where each
    takes its input from (Ultralytics' `parse_model`)."""
    nn = torch.nn
    Conv = _yolo_conv(torch)
    scaled = {"Conv": Conv, "C3": _yolo_c3(torch, Conv), "SPPF": _yolo_sppf(torch, Conv)}
    Concat, Detect = _yolo_concat(torch), _yolo_detect(torch)
    layers, chans, sources = [], [3], []
    for f, n, kind, args in YOLOV5_LAYOUT:
        n = max(round(n * depth), 1) if n > 1 else n
        c1 = chans[f] if isinstance(f, int) else None
        if kind in scaled:
            c2 = _make_divisible(args[0] * width)
            repeats = (n,) if kind == "C3" else ()
            layer = scaled[kind](c1, c2, *repeats, *args[1:])
        elif kind == "Upsample":
            layer, c2 = nn.Upsample(scale_factor=2.0, mode="nearest"), c1
        elif kind == "Concat":
            layer, c2 = Concat(), sum(chans[j] for j in f)
        else:
            layer, c2 = Detect(tuple(chans[j] for j in f), num_classes), None
        layers.append(layer)
        sources.append(f)
        # chans is indexed like Ultralytics' `ch` (by layer, -1 = previous)
        chans = chans + [c2] if len(layers) > 1 else [c2]
    return layers, sources


def _yolo_class(torch: Any) -> Any:
    nn = torch.nn

    class YOLOv5(nn.Module):
        def __init__(self, layers: list[Any], sources: list[Any]) -> None:
            super().__init__()
            self.model = nn.ModuleList(layers)
            self.sources = tuple(sources)
            self.save = sorted({j for f in sources if not isinstance(f, int)
                                for j in f if j != -1})

        def forward(self, x: Any) -> Any:
            saved: dict[int, Any] = {}
            for i, (layer, f) in enumerate(zip(self.model, self.sources)):
                if not isinstance(f, int):
                    x = [x if j == -1 else saved[j] for j in f]
                x = layer(x)
                if i in self.save:
                    saved[i] = x
            return x

    return YOLOv5


def _yolo_conv(torch: Any) -> Any:
    nn = torch.nn

    class Conv(nn.Module):
        """Conv (no bias) - BN (eps 1e-3, momentum 0.03) - SiLU, Ultralytics' `Conv`."""

        def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1, p: int | None = None):
            super().__init__()
            self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, bias=False)
            self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
            self.act = nn.SiLU()

        def forward(self, x: Any) -> Any:
            return self.act(self.bn(self.conv(x)))

    return Conv


def _yolo_bottleneck(torch: Any, Conv: Any) -> Any:
    nn = torch.nn

    class Bottleneck(nn.Module):
        def __init__(self, c1: int, c2: int, shortcut: bool = True, e: float = 0.5):
            super().__init__()
            c_ = int(c2 * e)
            self.cv1 = Conv(c1, c_, 1, 1)
            self.cv2 = Conv(c_, c2, 3, 1)
            self.add = (torch.ao.nn.quantized.FloatFunctional() if shortcut and c1 == c2
                        else None)

        def forward(self, x: Any) -> Any:
            y = self.cv2(self.cv1(x))
            return self.add.add(x, y) if self.add is not None else y

    return Bottleneck


def _yolo_c3(torch: Any, Conv: Any) -> Any:
    nn = torch.nn
    Bottleneck = _yolo_bottleneck(torch, Conv)

    class C3(nn.Module):
        """CSP bottleneck with 3 convolutions."""

        def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = True):
            super().__init__()
            c_ = int(c2 * 0.5)
            self.cv1 = Conv(c1, c_, 1, 1)
            self.cv2 = Conv(c1, c_, 1, 1)
            self.cv3 = Conv(2 * c_, c2, 1)
            self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, e=1.0) for _ in range(n)))

        def forward(self, x: Any) -> Any:
            return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))

    return C3


def _yolo_sppf(torch: Any, Conv: Any) -> Any:
    nn = torch.nn

    class SPPF(nn.Module):
        """Spatial pyramid pooling, fast: three chained 5x5 max-pools."""

        def __init__(self, c1: int, c2: int, k: int = 5):
            super().__init__()
            c_ = c1 // 2
            self.cv1 = Conv(c1, c_, 1, 1)
            self.cv2 = Conv(c_ * 4, c2, 1, 1)
            self.m = nn.MaxPool2d(k, 1, k // 2)

        def forward(self, x: Any) -> Any:
            x = self.cv1(x)
            y1 = self.m(x)
            y2 = self.m(y1)
            return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))

    return SPPF


def _yolo_concat(torch: Any) -> Any:
    class Concat(torch.nn.Module):
        def forward(self, xs: list[Any]) -> Any:
            return torch.cat(xs, 1)

    return Concat


def _yolo_detect(torch: Any) -> Any:
    nn = torch.nn

    class Detect(nn.Module):
        """One 1x1 conv per level to `3 * (5 + classes)` channels; decoding in eval."""

        def __init__(self, ch: tuple[int, ...], num_classes: int):
            super().__init__()
            self.nc, self.no, self.na, self.nl = num_classes, num_classes + 5, 3, len(ch)
            self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in ch)
            self.register_buffer("anchors", torch.tensor(ANCHORS, dtype=torch.float32)
                                 .view(self.nl, self.na, 2))
            self.stride = STRIDES
            for conv, s in zip(self.m, STRIDES):  # Ultralytics' bias init (objectness, cls)
                b = conv.bias.view(self.na, -1)
                with torch.no_grad():
                    b[:, 4] += math.log(8 / (640 / s) ** 2)
                    b[:, 5:] += math.log(0.6 / (num_classes - 0.99))

        def forward(self, xs: list[Any]) -> Any:
            out, z = [], []
            for i in range(self.nl):
                x = self.m[i](xs[i])
                bs, _, ny, nx = x.shape
                x = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
                out.append(x)
                if not self.training:
                    y = x.sigmoid()
                    yv, xv = torch.meshgrid(torch.arange(ny, dtype=x.dtype),
                                            torch.arange(nx, dtype=x.dtype), indexing="ij")
                    grid = torch.stack((xv, yv), 2).view(1, 1, ny, nx, 2) - 0.5
                    anchor = self.anchors[i].view(1, self.na, 1, 1, 2)
                    xy = (y[..., :2] * 2 + grid) * self.stride[i]
                    wh = (y[..., 2:4] * 2) ** 2 * anchor
                    z.append(torch.cat((xy, wh, y[..., 4:]), -1).view(bs, -1, self.no))
            return out if self.training else torch.cat(z, 1)

    return Detect


def parameter_count(model: Any) -> int:
    return sum(int(p.numel()) for p in model.parameters())
