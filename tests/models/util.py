"""Helpers for the model tests (pure pydantic, no sparseml)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from recipe_studio.models import catalog
from recipe_studio.models.base import ModifierSpec

from .cases import BASES


def model_named(name: str) -> type[ModifierSpec]:
    return next(m for m in catalog.MODELS if m.__name__ == name)


def args_for(name: str, **changes: Any) -> dict[str, Any]:
    """The base args of a model with changes; a change to `DROP` removes the field."""
    args = dict(BASES[name][1])
    for key, value in changes.items():
        if value is DROP:
            args.pop(key, None)
        else:
            args[key] = value
    return args


DROP = object()


def accept(name: str, **changes: Any) -> ModifierSpec:
    """Validate the base args of `name` with changes; the model is chosen like the loader."""
    args = args_for(name, **changes)
    model = catalog.model_for(BASES[name][0], list(args))
    assert model is not None
    return model.model_validate(args)


def reject(name: str, **changes: Any) -> dict[str, Any]:
    """Like :func:`accept` but expects a ValidationError; returns its first error with
    `where` (the field it points at) added."""
    args = args_for(name, **changes)
    model = catalog.model_for(BASES[name][0], list(args))
    assert model is not None
    with pytest.raises(ValidationError) as info:
        model.model_validate(args)
    err = dict(info.value.errors(include_url=False)[0])
    ctx = err.get("ctx") or {}
    err["where"] = ctx.get("field") or (err["loc"][0] if err["loc"] else None)
    return err


def table_tests(accept_cases: list[Any], reject_cases: list[Any]) -> tuple[Any, Any]:
    """A model family's two table-driven tests, for `test_accepts, test_rejects =
    table_tests(ACCEPT, REJECT)`: every `(name, changes)` case validates; every
    `(name, changes, kind, where, fragment)` case fails with error type `kind`, pointing at
    field `where`, with `fragment` in its message."""

    @pytest.mark.parametrize(("name", "changes"), accept_cases)
    def test_accepts(name: str, changes: dict[str, Any]) -> None:
        accept(name, **changes)

    @pytest.mark.parametrize(("name", "changes", "kind", "where", "fragment"), reject_cases)
    def test_rejects(name: str, changes: dict[str, Any], kind: str, where: str,
                     fragment: str) -> None:
        err = reject(name, **changes)
        assert (err["type"], err["where"]) == (kind, where), err
        assert fragment in err["msg"], err

    return test_accepts, test_rejects
