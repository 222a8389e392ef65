"""`recipe-studio stubs` worker: imports the user's modules and describes their modifier classes.

Run as a script by the interpreter of the environment that has the modules (``--python``); it
uses the standard library only (plus whatever the user's modules import), never recipe_studio.
It reads one JSON request on stdin::

    {"modules": ["my_fork.pruning"], "known": ["GMPruningModifier", ...]}

and writes one JSON object to the *original* stdout (file descriptor 1 goes to stderr before
anything is imported, so what the libraries print never reaches the JSON channel).

Modifier classes found:

* classic SparseML: every ``!pytorch.<Name>`` YAML constructor (``@PyTorchModifierYAML()``,
  ``sparseml/optim/modifier.py`` ``ModifierYAML.__call__``) whose class is defined under a
  requested module, or that the import registered and whose class is not SparseML's own;
  described from its constructor signature (``inspect.signature(cls.__init__)``);
* new style: pydantic subclasses of ``sparseml.core.Modifier`` or
  ``llmcompressor.modifiers.Modifier`` defined under a requested module; described from
  ``model_fields``.

Names in ``known`` (the built-in tags) are left out.
"""

from __future__ import annotations

import collections.abc
import enum
import importlib
import inspect
import json
import math
import os
import pkgutil
import re
import sys
import traceback
import types
import typing

FORMAT = "recipe-studio-modifier-stubs/1"


def open_channel():
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def jsonable(value, depth=0):
    if depth > 20:
        return None
    if isinstance(value, enum.Enum):
        return jsonable(value.value, depth + 1)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, depth + 1) for v in value]
    return {"__repr__": repr(value)[:200]}


def annotation_text(ann) -> str | None:
    if ann is inspect.Parameter.empty:
        return None
    if isinstance(ann, type) and not typing.get_args(ann):
        return ann.__name__
    return str(ann).replace("typing.", "")


_SEQUENCES = (list, set, frozenset, collections.abc.Sequence, collections.abc.Iterable,
              collections.abc.Set, collections.abc.MutableSequence)
_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def schema_of(ann, depth=0) -> dict:
    """A JSON Schema fragment for an annotation, as far as the annotation says; ``{}`` (any
    value) for what it cannot state (classes, callables, forward references)."""
    if depth > 10 or ann is inspect.Parameter.empty or ann is typing.Any or isinstance(ann, str):
        return {}
    if ann is None or ann is type(None):
        return {"type": "null"}
    if ann is bool:
        return {"type": "boolean"}
    if ann is int:
        return {"type": "integer"}
    if ann is float:
        return {"type": "number"}
    if ann is str:
        return {"type": "string"}
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Annotated:
        return schema_of(args[0], depth + 1)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        parts = [schema_of(a, depth + 1) for a in args]
        if any(p == {} for p in parts):
            return {}
        return {"anyOf": parts}
    if origin is typing.Literal:
        return {"enum": [jsonable(a) for a in args]}
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return {"enum": [jsonable(m.value) for m in ann]}
    if origin is tuple or ann is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": schema_of(args[0], depth + 1)}
        return {"type": "array"}
    if origin in _SEQUENCES or ann in (list, set, frozenset):
        items = schema_of(args[0], depth + 1) if args else {}
        return {"type": "array", **({"items": items} if items else {})}
    if origin in _MAPPINGS or ann is dict:
        values = schema_of(args[1], depth + 1) if len(args) == 2 else {}
        return {"type": "object", **({"additionalProperties": values} if values else {})}
    if isinstance(ann, type) and isinstance(getattr(ann, "model_fields", None), dict):
        return {"type": "object"}  # a pydantic model: written as a mapping in a recipe
    return {}


def param_docs(cls) -> dict:
    """``:param name: text`` from the class and ``__init__`` docstrings (SparseML's style)."""
    out = {}
    for doc in (cls.__init__.__doc__, cls.__doc__):
        if not doc:
            continue
        for m in re.finditer(r":param\s+(\w+):\s*(.*?)(?=\n\s*:|\Z)", doc, re.S):
            out.setdefault(m.group(1), " ".join(m.group(2).split()))
    return out


def known_base(cls, known) -> str | None:
    for base in cls.__mro__[1:]:
        if base.__name__ == "Modifier":  # the libraries' abstract base: nothing to inherit
            return None
        if base.__name__ in known and base.__module__.split(".")[0] in ("sparseml", "llmcompressor"):
            return base.__name__
    return None


def classic_record(cls, known) -> dict:
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:
        hints = {}
    sig = inspect.signature(cls.__init__)
    docs = param_docs(cls)
    fields, extra = [], "forbid"
    for p in list(sig.parameters.values())[1:]:
        if p.kind is p.VAR_KEYWORD:
            extra = "ignore"
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        ann = hints.get(p.name, p.annotation)
        field = {"name": p.name, "annotation": annotation_text(ann), "schema": schema_of(ann),
                 "required": p.default is p.empty}
        if p.default is not p.empty:
            field["default"] = jsonable(p.default)
        if p.name in docs:
            field["description"] = docs[p.name]
        fields.append(field)
    return {"name": cls.__name__, "kind": "classic", "class": f"{cls.__module__}.{cls.__qualname__}",
            "base": known_base(cls, known), "extra": extra, "fields": fields,
            "doc": first_paragraph(cls.__doc__)}


def first_paragraph(doc) -> str | None:
    if not doc:
        return None
    text = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(text.split()) or None


def pydantic_record(cls, library, known) -> dict:
    fields = []
    for name, info in cls.model_fields.items():
        required = info.is_required()
        field = {"name": name, "annotation": annotation_text(info.annotation),
                 "schema": schema_of(info.annotation), "required": required}
        if not required:
            if info.default_factory is not None:
                try:
                    field["default"] = jsonable(info.default_factory())
                except Exception:
                    field["default"] = None
            else:
                field["default"] = jsonable(info.default)
        if info.description:
            field["description"] = info.description
        fields.append(field)
    extra = (getattr(cls, "model_config", {}) or {}).get("extra") or "ignore"
    return {"name": cls.__name__, "kind": "stage", "library": library,
            "class": f"{cls.__module__}.{cls.__qualname__}", "base": known_base(cls, known),
            "extra": extra if isinstance(extra, str) else getattr(extra, "value", "ignore"),
            "fields": fields, "doc": first_paragraph(cls.__doc__)}


def yaml_classes() -> dict:
    """``!pytorch.<Name>`` -> the class its constructor builds (``clazz`` in the closure)."""
    yaml = sys.modules.get("yaml")
    if yaml is None:
        return {}
    out = {}
    for key, ctor in list(yaml.SafeLoader.yaml_constructors.items()):
        if not (isinstance(key, str) and key.startswith("!pytorch.")):
            continue
        for cell in getattr(ctor, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, type):
                out[key] = value
                break
    return out


def under(module_name: str, roots) -> bool:
    return any(module_name == r or module_name.startswith(r + ".") for r in roots)


def import_all(name: str) -> list:
    """The module and, for a package, its submodules (their import errors are reported)."""
    module = importlib.import_module(name)
    found = [module]
    for info in pkgutil.walk_packages(getattr(module, "__path__", []) or [], name + "."):
        found.append(importlib.import_module(info.name))
    return found


def new_style_bases() -> list:
    bases = []
    for module, attr, library in (("sparseml.core.modifier.modifier", "Modifier", "sparseml"),
                                  ("llmcompressor.modifiers.modifier", "Modifier", "llmcompressor")):
        mod = sys.modules.get(module)
        if mod is not None and isinstance(getattr(mod, attr, None), type):
            bases.append((getattr(mod, attr), library))
    return bases


def describe(request: dict) -> dict:
    roots = list(request["modules"])
    known = set(request.get("known", ()))
    before = set(yaml_classes())
    modules = []
    for name in roots:
        modules.extend(import_all(name))
    registered = yaml_classes()
    records, seen = [], set()
    for key, cls in sorted(registered.items()):
        name = key[len("!pytorch."):]
        mine = under(cls.__module__, roots) or (key not in before and
                                                 cls.__module__.split(".")[0] != "sparseml")
        if mine and name not in known and name not in seen:
            seen.add(name)
            records.append(classic_record(cls, known))
    bases = new_style_bases()
    for module in modules:
        for value in list(vars(module).values()):
            if not (isinstance(value, type) and under(value.__module__, roots)):
                continue
            for base, library in bases:
                if issubclass(value, base) and value is not base and value.__name__ not in seen \
                        and not inspect.isabstract(value):
                    seen.add(value.__name__)
                    records.append(pydantic_record(value, library, known))
    versions = {}
    from importlib import metadata
    for dist in ("sparseml", "llmcompressor", "pydantic"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {"format": FORMAT, "modules": roots, "python": sys.version.split()[0],
            "versions": versions, "modifiers": records}


def main() -> int:
    channel = open_channel()
    request = json.loads(sys.stdin.read() or "{}")
    # the script's own folder is sys.path[0]; the user's modules come from the caller's working
    # directory (the child runs in a temporary one: SparseML writes sparse_logs/ there)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.environ.get("RECIPE_STUDIO_STUBS_PATH") or os.getcwd())
    try:
        answer = {"ok": True, "catalogue": describe(request)}
    except BaseException as exc:  # an import error in the user's module: report it
        answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exception(exc)[-8:]}
    channel.write(json.dumps(answer, sort_keys=True, default=str) + "\n")
    channel.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
