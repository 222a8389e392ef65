"""Modifier stubs: the user's own modifier classes (forks, research code), described by a JSON
catalogue that `recipe-studio stubs MODULE…` writes, made known to the readers.

The catalogue is read at lint time, nothing is imported: :func:`read_catalogue` checks the
file, :mod:`.models` builds one pydantic model per modifier (classic ones on the model of the
SparseML class they derive from, when they keep its fields). The active catalogue of one load
is a context variable (:func:`using`); the hooks in the built-in lookups consult it:

* ``models.catalog.model_for`` / ``suggest_tag`` → :func:`classic_model`, :func:`classic_names`
* ``models.stage.registry`` → :func:`stage_registry`
* ``lint.run.check_file`` and ``read.load.load(stubs=...)`` activate a catalogue;
  ``lint.config`` reads the ``modifier-stubs`` key.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recipe_studio.stubs.active import (  # noqa: F401  (the lookups' side)
    classic_model, classic_models, classic_names, current, stage_registry, using,
)

FORMAT = "recipe-studio-modifier-stubs/1"
#: a catalogue larger than this is refused (they are a few kilobytes)
LIMIT = 8 << 20


class CatalogueError(ValueError):
    """A catalogue file that cannot be read or is not a stubs catalogue."""


@dataclass(eq=False)  # hashed by identity (caches key on the catalogue)
class StubCatalogue:
    """The modifiers of one or more catalogue files (a later file's modifier of the same
    name and kind wins)."""

    #: name -> record, classic (`!Name` tags)
    classic: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: target -> name -> record, stage recipes
    stage: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    paths: tuple[str, ...] = ()
    _models: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.classic or self.stage)

    def classic_model(self, name: str) -> Any:
        key = ("classic", name)
        if key not in self._models:
            from recipe_studio.stubs.models import classic_model

            self._models[key] = classic_model(self.classic[name])
        return self._models[key]

    def stage_models(self, target: str) -> dict[str, Any]:
        from recipe_studio.stubs.models import stage_model

        out = {}
        for name, record in self.stage.get(target, {}).items():
            key = (target, name)
            if key not in self._models:
                self._models[key] = stage_model(record, target)
            out[name] = self._models[key]
        return out


def _check(data: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CatalogueError(f"{where} is not a modifier-stubs catalogue (no `\"format\": "
                             f"\"{FORMAT}\"`); write one with `recipe-studio stubs MODULE`")
    mods = data.get("modifiers")
    if not isinstance(mods, list):
        raise CatalogueError(f"{where}: `modifiers` must be a list")
    for i, m in enumerate(mods):
        ok = isinstance(m, dict) and isinstance(m.get("name"), str) and m["name"].isidentifier() \
            and m.get("kind") in ("classic", "stage") and isinstance(m.get("fields"), list) \
            and all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in m["fields"])
        if ok and m["kind"] == "stage":
            ok = m.get("library") in ("sparseml", "llmcompressor")
        if not ok:
            raise CatalogueError(f"{where}: modifier {i + 1} needs a `name`, a `kind` (`classic` "
                                 "or `stage`, with its `library`) and a list of `fields`")
        _check_texts(m, f"{where}: modifier `{m['name']}`")
        for f in m["fields"]:
            _check_field(f, f"{where}: modifier `{m['name']}`")
    return mods


#: what a stub model's class holds besides its fields (`stubs.models`): no field may take it
_RESERVED = frozenset({"tag", "sparseml_class", "library_class", "stub", "accepts_extra",
                       "family", "end_rule"})
#: a field's schema nested deeper than this is refused (the stub models recurse into it)
_SCHEMA_DEPTH = 32


def _check_texts(record: dict[str, Any], where: str) -> None:
    for key in ("doc", "class", "base", "extra", "description", "annotation"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise CatalogueError(f"{where}: `{key}` must be a string, not "
                                 f"{type(value).__name__}")


def _check_field(record: dict[str, Any], where: str) -> None:
    from pydantic import BaseModel

    name = record["name"]
    if not name.isidentifier() or name.startswith("_") or name in _RESERVED \
            or hasattr(BaseModel, name):
        raise CatalogueError(f"{where}: field `{name}` cannot be modelled (a field name is an "
                             "identifier that starts with no `_` and is none of "
                             "pydantic's or recipe-studio's own attributes)")
    _check_texts(record, f"{where}, field `{name}`")
    if _depth(record.get("schema")) > _SCHEMA_DEPTH:
        raise CatalogueError(f"{where}, field `{name}`: its `schema` is nested deeper than "
                             f"{_SCHEMA_DEPTH} levels")


def _depth(value: Any, limit: int = _SCHEMA_DEPTH + 1) -> int:
    """How deep `value` nests (counted up to `limit`, without recursion)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, d = todo.pop()
        deepest = max(deepest, d)
        if d < limit and isinstance(v, (dict, list)):
            todo.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


def _build_all(catalogue: StubCatalogue, where: str) -> None:
    """Build every model now, so that a record the models cannot be built from is this
    catalogue's error (with its modifier's name), not a failure in the middle of a load."""
    name = ""
    try:
        for name in catalogue.classic:
            catalogue.classic_model(name)
        for target, records in catalogue.stage.items():
            name = ", ".join(records)
            catalogue.stage_models(target)
    except Exception as e:  # noqa: BLE001 - any record pydantic cannot make a model of
        raise CatalogueError(f"{where}: modifier `{name}` cannot be modelled: "
                             f"{type(e).__name__}: {str(e)[:300]}") from None


def read_catalogue(paths: Sequence[str | os.PathLike[str]]) -> StubCatalogue:
    """The catalogue of these files (raises :class:`CatalogueError`)."""
    import json  # only with a stub catalogue: a cold validate without one does not load json

    from recipe_studio.io import NotRegularFile, read_regular

    out = StubCatalogue(paths=tuple(str(p) for p in paths))
    for path in paths:
        where = f"modifier stubs `{path}`"
        try:
            data = json.loads(read_regular(path, LIMIT).decode("utf-8"))
        except FileNotFoundError:
            raise CatalogueError(f"{where} does not exist (write it with `recipe-studio stubs "
                                 "MODULE --out FILE`)") from None
        except NotRegularFile as e:
            raise CatalogueError(f"{where} is {e.kind}, not a regular file") from None
        except RecursionError:
            raise CatalogueError(f"cannot read {where}: its JSON is nested too deeply") from None
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise CatalogueError(f"cannot read {where}: {getattr(e, 'strerror', None) or e}") \
                from None
        for m in _check(data, where):
            if m["kind"] == "classic":
                out.classic[m["name"]] = m
            else:
                out.stage.setdefault(m["library"], {})[m["name"]] = m
    _build_all(out, "modifier stubs " + ", ".join(f"`{p}`" for p in paths))
    return out


_CACHE: dict[tuple[tuple[str, int, int], ...], StubCatalogue] = {}


def cached_catalogue(paths: Iterable[str | os.PathLike[str]]) -> StubCatalogue | None:
    """:func:`read_catalogue`, once per set of files (re-read when one changes); None for no
    paths."""
    paths = [str(p) for p in paths]
    if not paths:
        return None
    key = []
    for p in paths:
        try:
            st = os.stat(p)
            key.append((os.path.abspath(p), st.st_mtime_ns, st.st_size))
        except OSError:
            key.append((os.path.abspath(p), -1, -1))
    k = tuple(key)
    if k not in _CACHE:
        _CACHE[k] = read_catalogue(paths)
    return _CACHE[k]


def config_paths(values: Any, base: Path, where: str) -> list[str]:
    """The `modifier-stubs` config value: a list of paths relative to the config file."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise CatalogueError(f"`modifier-stubs` in {where} must be a list of file paths")
    return [str(base / os.path.expanduser(v)) for v in values]
