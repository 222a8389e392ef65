"""Shared plumbing of the judge worker scripts (stdlib only; runs in either library's venv).

A worker is started as ``python <workers>/<library>.py`` with the judge's interpreter, reads one
JSON request from stdin and writes one JSON object per line to the *original* stdout. Before
anything is imported, file descriptor 1 is pointed at stderr, so whatever the libraries print
(SparseML's ``ModifierFactory`` prints import errors, llm-compressor's loguru handlers, warnings)
never reaches the JSON channel.
"""

from __future__ import annotations

import enum
import json
import math
import os
import signal
import sys
import time
import traceback
import warnings
from typing import Any, Callable

MAX_MESSAGE = 2000


class RecipeTimeout(BaseException):
    """Raised by SIGALRM when one recipe exceeds its time limit (a BaseException so that the
    libraries' own ``except Exception`` blocks cannot swallow it)."""


def open_channel():
    """Return a text stream on the real stdout and send fd 1 (and ``sys.stdout``) to stderr."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def read_request() -> dict:
    return json.loads(sys.stdin.read() or "{}")


def jsonable(value: Any, _depth: int = 0) -> Any:
    """The value as the library holds it, made JSON: pydantic models become their fields,
    enums their value, tuples/sets lists, non-finite floats strings, anything else a repr."""
    if _depth > 40:
        return {"__repr__": "<too deep>"}
    if value is None or isinstance(value, (bool, int, str)):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value, _depth + 1)
    fields = getattr(type(value), "model_fields", None)
    if isinstance(fields, dict):
        return {name: jsonable(getattr(value, name, None), _depth + 1) for name in fields}
    if isinstance(value, dict):
        return {str(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, _depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [jsonable(v, _depth + 1) for v in value]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True, default=str))
    return {"__repr__": repr(value)[:MAX_MESSAGE], "__type__": type(value).__name__}


def error_record(exc: BaseException) -> dict:
    """The exception: class name and module, message, its first line, the traceback's end and,
    for a pydantic ``ValidationError``, its ``title`` and ``errors`` (loc, type, msg, input)."""
    message = str(exc)
    record = {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "message": message[:MAX_MESSAGE],
        "first_line": message.splitlines()[0] if message else "",
        "traceback": traceback.format_exception(exc)[-6:],
    }
    if type(exc).__name__ == "ValidationError" and callable(getattr(exc, "errors", None)):
        try:
            errors = exc.errors(include_url=False)
        except TypeError:  # pydantic v1 style
            errors = exc.errors()
        record["title"] = getattr(exc, "title", None)
        record["errors"] = [
            {k: jsonable(e.get(k)) for k in ("loc", "type", "msg", "input")} for e in errors
        ]
    return record


def annotation_text(annotation: Any) -> str:
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def field_records(cls) -> list[dict]:
    """Every pydantic field of ``cls``: name, annotation as text, required, default, description."""
    out = []
    for name, info in cls.model_fields.items():
        required = info.is_required()
        out.append(
            {
                "name": name,
                "annotation": annotation_text(info.annotation),
                "required": required,
                "default": None if required or info.default_factory else jsonable(info.default),
                "default_factory": (
                    getattr(info.default_factory, "__name__", repr(info.default_factory))
                    if info.default_factory
                    else None
                ),
                "description": info.description,
                "alias": info.alias,
            }
        )
    return out


def validator_records(cls) -> dict:
    """Validator names by kind (pydantic 2 ``__pydantic_decorators__``; ``validators`` are the
    v1-style ``@validator`` ones), each with the fields and mode it runs in."""
    deco = getattr(cls, "__pydantic_decorators__", None)
    out: dict[str, list] = {}
    if deco is None:
        return out
    for kind in ("validators", "field_validators", "root_validators", "model_validators",
                 "field_serializers", "model_serializers", "computed_fields"):
        entries = getattr(deco, kind, {}) or {}
        rows = []
        for name, d in sorted(entries.items()):
            info = d.info
            rows.append(
                {
                    "name": name,
                    "fields": list(getattr(info, "fields", ()) or ()),
                    "mode": getattr(info, "mode", None),
                }
            )
        if rows:
            out[kind] = rows
    return out


def model_record(cls) -> dict:
    return {
        "class": cls.__name__,
        "module": cls.__module__,
        "extra": (getattr(cls, "model_config", {}) or {}).get("extra"),
        "fields": field_records(cls),
        "validators": validator_records(cls),
    }


def instance_record(obj) -> dict:
    """A created modifier: its class, every field value as held after construction (defaults
    the class filled in included) and which fields the recipe set."""
    cls = type(obj)
    return {
        "class": cls.__name__,
        "module": cls.__module__,
        "fields": {name: jsonable(getattr(obj, name, None)) for name in cls.model_fields},
        "fields_set": sorted(getattr(obj, "model_fields_set", ()) or ()),
    }


def compressed_tensors_record(cq, quant_scheme) -> dict:
    """``QuantizationScheme`` / ``QuantizationArgs`` (/ ``QuantizationConfig``) fields and
    validators, compressed-tensors' enums and every preset scheme with its expansion."""

    models = {}
    for name in ("QuantizationScheme", "QuantizationArgs", "QuantizationConfig"):
        cls = getattr(cq, name, None)
        if cls is not None:
            models[name] = model_record(cls)
    enums = {
        name: [jsonable(m.value) for m in obj]
        for name, obj in sorted(vars(cq).items())
        if isinstance(obj, type) and issubclass(obj, enum.Enum)
        and obj.__module__.startswith("compressed_tensors")
    }
    presets = {name: jsonable(value) for name, value in quant_scheme.PRESET_SCHEMES.items()}
    return {"models": models, "enums": enums, "presets": presets}


def _on_alarm(signum, frame):
    raise RecipeTimeout()


def serve(judge: Callable[[str, dict], dict], request: dict, channel) -> None:
    """Judge every path of the request, one JSON line each, each under its own time limit."""
    timeout = float(request.get("timeout") or 60)
    signal.signal(signal.SIGALRM, _on_alarm)
    for index, path in enumerate(request.get("paths", [])):
        started = time.perf_counter()
        record: dict[str, Any] = {"index": index, "path": path}
        caught: list = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    record.update(judge(path, request))
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except RecipeTimeout:
            record.update(ok=False, phase="timeout",
                          error={"type": "Timeout", "module": "recipe_studio.judges",
                                 "message": f"no verdict within {timeout:g} s",
                                 "first_line": f"no verdict within {timeout:g} s",
                                 "traceback": []})
        record["warnings"] = [
            {"category": w.category.__name__, "message": str(w.message)[:MAX_MESSAGE]}
            for w in caught
            if not str(w.category.__module__).startswith("pkg_resources")
        ]
        record["seconds"] = round(time.perf_counter() - started, 4)
        channel.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        channel.flush()


def main(channel, judge: Callable[[str, dict], dict], dump: Callable[[dict], dict],
         distributions: list[str]) -> None:
    """Answer the request on stdin: a dump, or a ``ready`` line then one line per recipe."""
    request = read_request()
    if request.get("mode") == "dump":
        channel.write(json.dumps(dump(request), sort_keys=True, default=str) + "\n")
    else:
        channel.write(json.dumps({"ready": True,
                                  "versions": versions({"distributions": distributions})}) + "\n")
        channel.flush()
        serve(judge, request, channel)
    channel.flush()


def versions(request: dict) -> dict:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for dist in request.get("distributions", []):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out
