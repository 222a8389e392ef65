"""Partial views of modifiers that failed to load: the fields that did validate.

When a modifier's arguments do not validate (a misspelt field, a value of the wrong type,
an impossible schedule), SparseML refuses the recipe and `validate` reports why. The lint
rules should still look at the rest of that modifier — a misspelt `final_sparsty` does not
make an `end_epoch` after the end of training any less wrong. :func:`build` gives the
rules that rest: an instance of the modifier's model holding

* every field that was written and validated on its own (through the same validators as
  the full model), with its validated value;
* every field that was not written and has a default, with that default (what SparseML
  would use);

and *not* holding the other fields: the ones written with a value that failed, the
required ones that are missing (or misspelt), and the ones a model-level check (the
schedule, cross-field rules) names as wrong. Reading such a field raises
:class:`UnknownFieldValue` — never an `AttributeError`, so that `getattr(view, name,
default)` cannot quietly substitute a default. The lint runner catches it and runs the rule
again without that modifier.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from recipe_studio.models.base import ModifierSpec

if TYPE_CHECKING:  # built on first use: a recipe whose modifiers all load needs none
    from pydantic import TypeAdapter

#: how often model-level checks are re-run after one of them names a field as wrong
_MAX_ROUNDS = 8


class UnknownFieldValue(Exception):
    """A rule read a field whose value a partial view does not know."""

    def __init__(self, view: ModifierSpec, name: str):
        super().__init__(f"`{name}` of `!{type(view).tag}` did not validate")
        self.view = view
        self.name = name


def is_partial(spec: Any) -> bool:
    return isinstance(spec, ModifierSpec) and getattr(type(spec), "_rs_partial", False)


@functools.cache
def partial_class(model: type[ModifierSpec]) -> type[ModifierSpec]:
    """A subclass of `model` whose instances raise :class:`UnknownFieldValue` for fields
    they do not hold (`isinstance(view, model)` stays true, the class name too)."""

    def __getattr__(self: ModifierSpec, name: str) -> Any:
        if name in type(self).model_fields:
            raise UnknownFieldValue(self, name)
        return model.__getattr__(self, name)  # type: ignore[operator]

    return type(model)(model.__name__, (model,), {
        "__getattr__": __getattr__,
        "__module__": model.__module__,
        "__qualname__": f"{model.__qualname__}.partial",
        "__doc__": f"A partial view of a `!{model.tag}` that failed to load.",
        "_rs_partial": True,
    })


@functools.cache
def _adapter(model: type[ModifierSpec], name: str) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    info = model.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])  # type: ignore[name-defined]


def build(model: type[ModifierSpec], args: Mapping[Any, Any],
          errors: Sequence[Mapping[str, Any]], failed: Iterable[tuple[Any, ...]] = ()
          ) -> ModifierSpec | None:
    """The partial view of a modifier whose full validation gave `errors` (pydantic's
    `ValidationError.errors()`); `failed` are field paths whose value could not even be
    computed (an `eval()` that failed). None when nothing can be trusted (an error of the
    whole modifier that names no field)."""
    fields = model.model_fields
    unknown = {p[0] for p in failed if p}
    for err in errors:
        if err.get("type") == "extra_forbidden":
            continue  # a key the model does not have: no field's value depends on it
        ctx = err.get("ctx") or {}
        loc = tuple(err.get("loc") or ())
        name = ctx.get("field") or (loc[0] if loc else None)
        if name is None:
            return None
        unknown.add(name)
    values: dict[str, Any] = {}
    for name, info in fields.items():
        if name in unknown:
            continue
        if name in args:
            try:
                values[name] = _adapter(model, name).validate_python(args[name])
            except (ValidationError, PydanticCustomError, TypeError, ValueError):
                unknown.add(name)
        elif info.is_required():
            unknown.add(name)
    view = partial_class(model).model_construct(_fields_set=set(values), **values)
    for _ in range(_MAX_ROUNDS):
        for name in unknown:
            view.__dict__.pop(name, None)
        wrong = _model_checks(model, view)
        if wrong is None:
            return None
        if not wrong - unknown:
            return view
        unknown |= wrong
    return None


def _model_checks(model: type[ModifierSpec], view: ModifierSpec) -> set[str] | None:
    """Run the model's after-validators (schedule, cross-field rules) on the view: the
    fields they name as wrong, or None when one fails without naming a field. A check that
    reads an unknown field cannot be decided and is skipped."""
    wrong: set[str] = set()
    for dec in model.__pydantic_decorators__.model_validators.values():
        if dec.info.mode != "after":
            continue
        try:
            dec.func(view)
        except UnknownFieldValue:
            continue
        except PydanticCustomError as e:
            field = (e.context or {}).get("field")
            if not isinstance(field, str) or field not in model.model_fields:
                return None
            wrong.add(field)
        except Exception:
            return None
    return wrong
