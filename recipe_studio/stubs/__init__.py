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
    return mods


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
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise CatalogueError(f"cannot read {where}: {getattr(e, 'strerror', None) or e}") \
                from None
        for m in _check(data, where):
            if m["kind"] == "classic":
                out.classic[m["name"]] = m
            else:
                out.stage.setdefault(m["library"], {})[m["name"]] = m
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
