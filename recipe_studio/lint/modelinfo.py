"""Parameter names (and shapes) of a model, for the model-aware lint rules (`--model FILE`).

Three sources, read lazily so that lint never pays for what it does not use:

* an `.onnx` file: its initializers (the `onnx` package is imported only here);
* a torch checkpoint (`.pt`, `.pth`, `.bin`, `.ckpt`): a `state_dict`, or a dict holding one
  under `state_dict`/`model`; torch is imported only for these;
* a text file: one parameter name per line, optionally followed by its shape
  (`features.0.weight 64x3x3x3` or `features.0.weight (64, 3, 3, 3)`); `#` starts a comment;
* a Hugging Face model directory (`config.json`, safetensors): read by `hfmodel.py`, only the
  JSON headers (no weights, no library).

Matching follows SparseML 1.8 (sparseml-recipes.md §5.0): a `re:` entry is `re.match`ed
against the full name (anchored at the start only), a plain entry must equal it,
`__ALL__` is every parameter and `__ALL_PRUNABLE__` every prunable weight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

_SHAPE = re.compile(r"[\(\[]?\s*(\d+(?:\s*[x×,]\s*\d+)*)\s*,?\s*[\)\]]?\s*$")
_NORM_HINT = re.compile(r"(^|\.)(bn\d*|batchnorm|norm\w*|ln\w*|layernorm|layer_norm)(\.|$)",
                        re.I)


class ModelError(Exception):
    """The model file cannot be read; the CLI reports it and exits 2."""


@dataclass
class ModelParams:
    """Parameter names in order, their shapes when known, and the module names."""

    names: list[str]
    shapes: dict[str, tuple[int, ...] | None] = field(default_factory=dict)
    source: str = ""
    #: a Hugging Face directory's `config.json` (None for the other sources)
    hf_config: dict | None = None
    #: module name -> class names implied for it (Hugging Face directories; `hfmodel.py`)
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def modules(self) -> set[str]:
        out = set()
        for n in self.names:
            parts = n.split(".")
            for i in range(1, len(parts)):
                out.add(".".join(parts[:i]))
        return out

    def numel(self, name: str) -> int | None:
        shape = self.shapes.get(name)
        if shape is None:
            return None
        n = 1
        for d in shape:
            n *= d
        return n

    def prunable(self, name: str) -> bool:
        """SparseML's `__ALL_PRUNABLE__`: weights of Linear/Conv/Embedding layers (>= 2-D)."""
        if not name.endswith(".weight") and not name.endswith("weight"):
            return False
        shape = self.shapes.get(name)
        if shape is not None:
            return len(shape) >= 2
        return not _NORM_HINT.search(name)

    def one_dimensional(self, name: str) -> bool:
        shape = self.shapes.get(name)
        if shape is not None:
            return len(shape) <= 1
        return name.endswith(".bias") or bool(_NORM_HINT.search(name))

    def match(self, entry: str, *, prunable_only: bool = False) -> list[str]:
        """Names a `params` entry selects."""
        token = entry.upper()
        if token == "__ALL__":
            return list(self.names)
        if token == "__ALL_PRUNABLE__":
            return [n for n in self.names if self.prunable(n)]
        if entry.startswith("re:"):
            try:
                rx = re.compile(entry[3:])
            except re.error:
                return []
            return [n for n in self.names if rx.match(n)]
        return [n for n in self.names if n == entry]

    def match_modules(self, entry: str) -> list[str]:
        """Module names a `layers`/`submodules` entry selects (exact names, tokens)."""
        mods = sorted(self.modules)
        token = entry.upper()
        if token in ("__ALL__", "__ALL_PRUNABLE__"):
            return mods
        name = entry[len("module."):] if entry.startswith("module.") else entry
        if entry.startswith("re:"):
            try:
                rx = re.compile(entry[3:])
            except re.error:
                return []
            return [m for m in mods if rx.match(m)]
        return [m for m in mods if m == name]


def read_model(path: str | Path) -> ModelParams:
    p = Path(path)
    if p.is_dir():
        from recipe_studio.lint import hfmodel

        try:
            names, shapes, config = hfmodel.read_hf_dir(p)
        except hfmodel.ModelError as e:
            raise ModelError(str(e)) from None
        model = ModelParams(names, shapes, str(p), hf_config=config)
        model.classes = hfmodel.implied_classes(model)
        return model
    if not p.is_file():
        raise ModelError(f"model file `{path}` does not exist")
    suffix = p.suffix.lower()
    if suffix == ".onnx":
        return _read_onnx(p)
    if suffix in (".pt", ".pth", ".bin", ".ckpt", ".pkl"):
        return _read_torch(p)
    return _read_text(p)


def _read_text(p: Path) -> ModelParams:
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ModelError(f"cannot read `{p}` as a text list of parameter names: {e}") from None
    names: list[str] = []
    shapes: dict[str, tuple[int, ...] | None] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, rest = line.partition(" ")
        name = name.strip().rstrip(":,")
        shape = None
        m = _SHAPE.match(rest.strip()) if rest.strip() else None
        if m:
            shape = tuple(int(x) for x in re.split(r"\s*[x×,]\s*", m.group(1)) if x)
        names.append(name)
        shapes[name] = shape
    if not names:
        raise ModelError(f"`{p}` lists no parameter names")
    return ModelParams(names, shapes, str(p))


def _read_onnx(p: Path) -> ModelParams:
    try:
        import onnx
    except ImportError:
        raise ModelError("reading .onnx models needs the `onnx` package "
                         "(pip install 'recipe-studio[sparseml]')") from None
    try:
        model = onnx.load(str(p), load_external_data=False)
    except Exception as e:  # onnx raises DecodeError and friends
        raise ModelError(f"`{p}` is not a readable ONNX model: {e}") from None
    names, shapes = [], {}
    for init in model.graph.initializer:
        names.append(init.name)
        shapes[init.name] = tuple(int(d) for d in init.dims)
    return ModelParams(names, shapes, str(p))


def _read_torch(p: Path) -> ModelParams:
    try:
        import torch
    except ImportError:
        raise ModelError("reading torch checkpoints needs torch "
                         "(pip install 'recipe-studio[sparseml]')") from None
    try:
        obj = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as e:
        raise ModelError(f"`{p}` is not a readable state_dict checkpoint (only tensors are "
                         f"loaded, for safety): {e}") from None
    state = _find_state_dict(obj)
    if state is None:
        raise ModelError(f"`{p}` holds no state_dict (a mapping of names to tensors)")
    names = list(state)
    shapes = {k: tuple(int(d) for d in v.shape) for k, v in state.items()}
    return ModelParams(names, shapes, str(p))


def _find_state_dict(obj: object) -> dict | None:
    if isinstance(obj, dict):
        if obj and all(hasattr(v, "shape") for v in obj.values()):
            return obj
        for key in ("state_dict", "model", "model_state_dict", "module"):
            inner = obj.get(key)
            found = _find_state_dict(inner)
            if found is not None:
                return found
    return None


def names_in(values: Iterable[object]) -> list[str]:
    return [str(v) for v in values if isinstance(v, str)]
