"""Pydantic models built from catalogue records (no user code: only the JSON).

* Classic (`@PyTorchModifierYAML()` classes): when the class derives from a SparseML modifier
  recipe-studio models and its constructor keeps every field of that model, the stub model
  derives from that model (SparseML's checks of the inherited fields stay: schedule, sparsity
  ranges, `params` tokens) and adds the new fields; otherwise a plain model of the
  constructor's parameters. `extra` is `forbid` unless the constructor takes `**kwargs`.
* Stage (pydantic modifiers): derived from the built-in model of the nearest registered base
  class (its validators stay), else from the library's base (`extra` as the class sets it).

Field types are checked as far as the catalogue states them (its JSON Schema fragments).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal, Union

from pydantic import ConfigDict, Field
from pydantic_core import PydanticUndefined

_SIMPLE: dict[str, Any] = {"boolean": bool, "integer": int, "number": float, "string": str,
                           "null": type(None)}


def python_type(schema: Any) -> Any:
    """The annotation a JSON Schema fragment of the catalogue states (`Any` when it states
    nothing)."""
    if not isinstance(schema, dict) or not schema:
        return Any
    if "anyOf" in schema and isinstance(schema["anyOf"], list) and schema["anyOf"]:
        parts = tuple(python_type(s) for s in schema["anyOf"])
        return Any if Any in parts else Union[parts]  # type: ignore[return-value]
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        values = tuple(v for v in schema["enum"] if isinstance(v, (str, int, float, bool))
                       or v is None)
        return Literal[values] if values else Any  # type: ignore[valid-type]
    kind = schema.get("type")
    if isinstance(kind, list):  # `"type": ["string", "null"]`: any of them
        parts = tuple(python_type({**schema, "type": k}) for k in kind if isinstance(k, str))
        return Any if not parts or Any in parts else Union[parts]  # type: ignore[return-value]
    if not isinstance(kind, str):
        return Any
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "array":
        return list[python_type(schema.get("items"))]  # type: ignore[misc]
    if kind == "object":
        return dict[Any, python_type(schema.get("additionalProperties"))]  # type: ignore[misc]
    return Any


def _default(record: dict[str, Any]) -> Any:
    if record.get("required"):
        return PydanticUndefined
    value = record.get("default")
    if isinstance(value, dict) and "__repr__" in value:
        return None  # not a JSON value (an object): its repr is no default
    return value


def _description(record: dict[str, Any], base: Any = None) -> str:
    text = record.get("description") or (base.description if base is not None else None)
    return text or f"`{record.get('annotation') or 'any value'}` (from the modifier stubs)"


#: fields every classic SparseML modifier holds in epochs (`ScheduledModifier`,
#: `ScheduledUpdateModifier`): a stub without a known base keeps that meaning (`scale`)
EPOCH_FIELDS = ("start_epoch", "end_epoch", "update_frequency")


def _new_field(record: dict[str, Any], classic: bool = False) -> tuple[Any, Any]:
    annotation = python_type(record.get("schema"))
    extra: dict[str, Any] = {"x-stub": True}
    if classic and record.get("name") in EPOCH_FIELDS:
        extra["x-epoch"] = True
    if record.get("annotation"):
        extra["x-annotation"] = record["annotation"]
    return annotation, Field(_default(record), description=_description(record),
                             json_schema_extra=extra)


def _inherited_field(record: dict[str, Any], info: Any) -> tuple[Any, Any]:
    new = copy.copy(info)
    new.default = _default(record)
    new.default_factory = None
    return info.rebuild_annotation(), new


def _build(name: str, base: type, namespace: dict[str, Any], fields: dict[str, tuple[Any, Any]],
           doc: str | None) -> type:
    ns: dict[str, Any] = {"__module__": __name__, "__qualname__": name,
                          "__doc__": doc or f"`{name}` (from the modifier stubs)",
                          "__annotations__": {}}
    ns.update(namespace)
    for fname, (annotation, info) in fields.items():
        ns["__annotations__"][fname] = annotation
        ns[fname] = info
    return type(name, (base,), ns)


def classic_model(record: dict[str, Any]) -> type:
    from recipe_studio.models import catalog
    from recipe_studio.models.base import ModifierSpec

    name = record["name"]
    fields = {f["name"]: f for f in record["fields"]}
    base_name = record.get("base")
    base = catalog.model_for(base_name, ()) if isinstance(base_name, str) and \
        base_name in catalog.TAGS else None
    extra = "ignore" if record.get("extra") == "ignore" else "forbid"
    namespace: dict[str, Any] = {
        "tag": name, "sparseml_class": record.get("class") or name, "stub": True,
        "__annotations__": {"stub": ClassVar[bool]},
        "accepts_extra": extra == "ignore",
        "model_config": ConfigDict(extra=extra),
    }
    built: dict[str, tuple[Any, Any]] = {}
    if base is not None and set(base.model_fields) <= set(fields):
        for fname, frec in fields.items():
            info = base.model_fields.get(fname)
            built[fname] = _inherited_field(frec, info) if info is not None else _new_field(frec)
        model = _build(name, base, namespace, built, record.get("doc"))
    else:
        namespace.update(family=base.family if base is not None else "training",
                         end_rule="ge_or_neg1")
        namespace["__annotations__"].update(family=ClassVar[str], end_rule=ClassVar[str])
        for fname, frec in fields.items():
            built[fname] = _new_field(frec, classic=True)
        model = _build(name, ModifierSpec, namespace, built, record.get("doc"))
    model.model_rebuild(force=True)
    return model


def stage_model(record: dict[str, Any], target: str) -> type:
    import importlib

    from recipe_studio.models.stage import TARGETS
    from recipe_studio.models.stage._validators import (
        AbstractModifier, LLMCompressorModifier, SparseMLModifier,
    )

    name = record["name"]
    builtin = importlib.import_module(TARGETS[target][1]).REGISTRY  # never the stubs
    base = builtin.get(record.get("base") or "")
    if base is not None and issubclass(base, AbstractModifier):
        base = None  # llm-compressor registers its abstract `Modifier`: nothing to inherit
    root = SparseMLModifier if target == "sparseml" else LLMCompressorModifier
    extra = record.get("extra") if record.get("extra") in ("forbid", "ignore", "allow") \
        else root.model_config.get("extra")
    namespace: dict[str, Any] = {
        "library_class": record.get("class") or name, "stub": True,
        "__annotations__": {"stub": ClassVar[bool]},
        "model_config": ConfigDict(extra=extra),  # type: ignore[typeddict-item]
    }
    built: dict[str, tuple[Any, Any]] = {}
    for frec in record["fields"]:
        fname = frec["name"]
        if base is not None and fname in base.model_fields:
            continue  # the built-in model's field and validators
        built[fname] = _new_field(frec)
    if base is None:  # every library Modifier has these; the reader sets `group` and `index`
        for fname in ("index", "group", "start", "end", "update"):
            if fname not in built:
                built[fname] = (Any, Field(None, description=f"`{fname}` (every modifier)"))
    model = _build(name, base if base is not None else root, namespace, built, record.get("doc"))
    model.model_rebuild(force=True)
    return model


__all__ = ["classic_model", "python_type", "stage_model"]
