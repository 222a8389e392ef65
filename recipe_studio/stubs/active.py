"""The active modifier-stubs catalogue of one load, lint or request (a context variable) and
the lookups the built-in tables consult (`models.catalog`, `models.stage.registry`, the
schema, completion). A leaf: it imports nothing of recipe_studio, so the tables can import it
while the stub models derive from the tables' models (`stubs.models`)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

# ---- the active catalogue (one load, one lint) -------------------------------------------

_ACTIVE: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "recipe_studio_stubs", default=None)


def current() -> Any:
    return _ACTIVE.get()


@contextlib.contextmanager
def using(catalogue: Any) -> Iterator[Any]:
    """Make `catalogue` the one the lookups consult inside the block (None: keep the outer)."""
    if catalogue is None:
        yield current()
        return
    token = _ACTIVE.set(catalogue)
    try:
        yield catalogue
    finally:
        _ACTIVE.reset(token)


def classic_model(name: str) -> Any:
    """The stub model of the classic tag `name` in the active catalogue, or None."""
    cat = _ACTIVE.get()
    if cat is None or name not in cat.classic:
        return None
    return cat.classic_model(name)


def classic_models() -> list[Any]:
    """The active catalogue's classic stub models (for the JSON Schema)."""
    cat = _ACTIVE.get()
    return [cat.classic_model(name) for name in cat.classic] if cat is not None else []


def classic_names() -> tuple[str, ...]:
    cat = _ACTIVE.get()
    return tuple(cat.classic) if cat is not None else ()


def stage_registry(target: str, builtin: dict[str, Any]) -> dict[str, Any]:
    """`builtin` plus the active catalogue's stage modifiers for `target`."""
    cat = _ACTIVE.get()
    if cat is None or not cat.stage.get(target):
        return builtin
    return {**builtin, **cat.stage_models(target)}


