"""Shared machinery for the modifier models.

A modifier model is a frozen pydantic model that describes one SparseML 1.8 PyTorch
modifier *as written in a recipe*: its fields, their types and defaults exactly as the
SparseML constructor takes them, and every check SparseML performs when it *loads* a
recipe (sparseml-recipes.md §5, §8). What SparseML accepts but is wrong is not a
validator here; it is a lint rule (``recipe_studio.rules``).

Conventions:

* every field has a ``description`` (it feeds the JSON Schema, hover and docs);
* epoch-valued fields are declared with :func:`epoch_field` (the rescaler reads this);
* fields SparseML accepts and then discards are declared with ``ignored=...``;
* errors are raised as :func:`rs_error` (a ``PydanticCustomError`` whose type names the
  diagnostic family), never as raw pydantic text; the loader maps them to codes and to the
  YAML position of the offending key or value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

Family = Literal[
    "training", "learning_rate", "weight_decay", "params", "pruning", "thinning",
    "quantization", "distillation",
]

#: How SparseML checks `end_epoch` against `start_epoch` (BaseScheduled.validate_schedule).
#: "ge_or_neg1": end == -1 or end >= start (end_comparator=-1)
#: "ge": end >= start (end_comparator=0)
#: "gt": end > start (end_comparator=1)
#: "fixed": end may not change after construction; no ordering check (SetParam)
#: "forced_neg1": any end accepted, then replaced by -1 (SetLR, SetWD, LayerThinning)
#: "must_neg1": anything but -1 is a ValueError (QuantizationModifier)
EndRule = Literal["ge_or_neg1", "ge", "gt", "fixed", "forced_neg1", "must_neg1"]

ALL_TOKEN = "__ALL__"
ALL_PRUNABLE_TOKEN = "__ALL_PRUNABLE__"
FROM_PARAM_TOKEN = "__FROM_PARAM__"
PARAM_TOKENS = (ALL_TOKEN, ALL_PRUNABLE_TOKEN)

# Error types. The loader maps each to a diagnostic code (recipe_studio.codes).
TYPE = "rs_type"          # RS201 invalid-type
RANGE = "rs_range"        # RS202 value-out-of-range
CHOICE = "rs_choice"      # RS203 invalid-choice
SCHEDULE = "rs_schedule"  # RS204 invalid-schedule
PARAMS = "rs_params"      # RS205 invalid-params
MISSING = "rs_missing"    # RS103 missing-field
UNKNOWN = "rs_unknown"    # RS102 unknown-field


def rs_error(kind: str, message: str, *, field: str | None = None, **ctx: Any) -> PydanticCustomError:
    """An error for the loader. `field` names the field a model-level error belongs to.

    `message` is shown to the user as is (backticks around names and values, lower case,
    no trailing period); keep braces out of it (pydantic formats the template).
    """
    context: dict[str, Any] = {"field": field} if field else {}
    context.update(ctx)
    safe = message.replace("{", "(").replace("}", ")")
    return PydanticCustomError(kind, safe, context)


def fmt(value: Any) -> str:
    """A value as the user wrote it, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return f"{value:.1f}"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def type_name(value: Any) -> str:
    """The YAML-ish name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# ---- conversions that mirror what SparseML's constructors do with a value -------------

def py_float(value: Any, name: str) -> float:
    """`float(value)` as SparseML calls it: ints, floats, bools and numeric strings pass."""
    if isinstance(value, (int, float)):  # bool is an int
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise rs_error(TYPE, f"`{name}` must be a number, got {fmt(value)}") from None
    raise rs_error(TYPE, f"`{name}` must be a number, got {type_name(value)}")


def strict_float(value: Any, name: str, cls: str) -> float:
    """SparseML's `isinstance(value, float)` checks: a YAML int or string is rejected."""
    if isinstance(value, float):
        return value
    hint = ""
    if isinstance(value, int) and not isinstance(value, bool):
        hint = f" (write `{value}.0`: SparseML rejects integers here)"
    elif isinstance(value, str):
        try:
            float(value)
            hint = " (PyYAML reads it as a string; write it with a decimal point, e.g. `1.0e-5`)"
        except ValueError:
            pass
    raise rs_error(TYPE, f"`{name}` must be a float for {cls}, got {type_name(value)} "
                         f"{fmt(value)}{hint}")


def truthy(value: Any) -> bool:
    """Python truthiness, which is what most SparseML bool fields use."""
    return bool(value)


def convert_to_bool(value: Any) -> bool:
    """sparseml.utils.convert_to_bool: strings are true unless they contain `f` or `0`."""
    if isinstance(value, str):
        return bool(value) and "f" not in value.lower() and "0" not in value.lower()
    return bool(value)


def flatten(value: Iterable[Any]) -> list[Any]:
    """sparseml.utils.flatten_iterable."""
    out: list[Any] = []
    for item in value:
        if isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out


def validate_str_iterable(value: Any, name: str, cls: str) -> str | list[Any]:
    """sparseml.utils.validate_str_iterable: a token string or a (flattened) list."""
    if isinstance(value, str):
        if value.upper() in PARAM_TOKENS:
            return value.upper()
        raise rs_error(PARAMS, f"`{name}` is the string {fmt(value)}; SparseML accepts only "
                               f"`{ALL_TOKEN}`, `{ALL_PRUNABLE_TOKEN}` or a list of names and "
                               "`re:` patterns", value=value, tokens=list(PARAM_TOKENS))
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return flatten(value)
    raise rs_error(TYPE, f"`{name}` must be a list of parameter names or a token for {cls}, "
                         f"got {type_name(value)}")


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ---- field helpers -------------------------------------------------------------------

def epoch_field(default: Any = ..., *, description: str, ignored: str | None = None,
                **kw: Any) -> Any:
    """A field whose value is an epoch (scaled by `recipe-studio scale`)."""
    extra: dict[str, Any] = {"x-epoch": True}
    if ignored:
        extra["x-ignored"] = ignored
    return Field(default, description=description, json_schema_extra=extra, **kw)


def ignored_field(default: Any = ..., *, description: str, ignored: str, **kw: Any) -> Any:
    """A field SparseML accepts and then discards or overrides (a lint rule reports it)."""
    return Field(default, description=description, json_schema_extra={"x-ignored": ignored}, **kw)


class ModifierSpec(BaseModel):
    """Base of every modifier model: one SparseML modifier as written in a recipe."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False,
                              arbitrary_types_allowed=True)

    #: the recipe tag without `!` (and the SparseML class name)
    tag: ClassVar[str]
    #: dotted path of the SparseML 1.8 class this model mirrors (for the conformance test)
    sparseml_class: ClassVar[str]
    family: ClassVar[Family]
    end_rule: ClassVar[EndRule]
    #: the value SparseML uses for `end_epoch` (the end rule may force it)
    #: True for modifiers whose class takes **kwargs and silently drops unknown fields
    accepts_extra: ClassVar[bool] = False

    @classmethod
    def epoch_fields(cls) -> tuple[str, ...]:
        """Names of the epoch-valued fields (`x-epoch` metadata)."""
        return tuple(
            name for name, f in cls.model_fields.items()
            if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("x-epoch")
        )

    @classmethod
    def ignored_fields(cls) -> dict[str, str]:
        """Fields SparseML accepts then discards, with what happens to them."""
        return {
            name: str(f.json_schema_extra["x-ignored"]) for name, f in cls.model_fields.items()
            if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("x-ignored")
        }

    def args(self, *, exclude_defaults: bool = False) -> dict[str, Any]:
        """The fields as given (explicitly set ones only when `exclude_defaults`)."""
        if exclude_defaults:
            return {k: getattr(self, k) for k in self.model_fields_set}
        return {k: getattr(self, k) for k in self.model_fields}

    # start/end/update_frequency are declared by each model (defaults differ); these give
    # the effective values SparseML uses, whatever the class.
    @property
    def effective_end_epoch(self) -> float:
        if self.end_rule in ("forced_neg1", "must_neg1"):
            return -1.0
        return float(getattr(self, "end_epoch", -1.0))

    @property
    def effective_start_epoch(self) -> float:
        return float(getattr(self, "start_epoch", -1.0))


def check_schedule(model: ModifierSpec, *, min_start: float = -1.0, min_end: float = -1.0) -> None:
    """BaseScheduled.validate_schedule for the model's end rule (raises rs_error)."""
    cls = model.tag
    start = float(getattr(model, "start_epoch"))
    end = float(getattr(model, "end_epoch", -1.0))
    rule = model.end_rule
    if start < min_start:
        raise rs_error(SCHEDULE, f"`start_epoch` {start:g} must be at least {min_start:g} "
                                 f"for {cls} (-1 means \"from the first step\")",
                       field="start_epoch")
    if rule in ("forced_neg1", "fixed"):
        return
    if rule == "must_neg1":
        if end != -1:
            raise rs_error(SCHEDULE, f"`end_epoch` must be -1 for {cls}, got {end:g} "
                                     "(quantization is never switched off)",
                           field="end_epoch")
        return
    if end < min_end:
        raise rs_error(SCHEDULE, f"`end_epoch` {end:g} must be at least {min_end:g} for {cls}",
                       field="end_epoch")
    if rule == "ge_or_neg1" and end != -1 and end < start:
        raise rs_error(SCHEDULE, f"`end_epoch` {end:g} is before `start_epoch` {start:g} "
                                 f"(use -1 to never end)", field="end_epoch")
    if rule == "ge" and start > end:
        raise rs_error(SCHEDULE, f"`end_epoch` {end:g} is before `start_epoch` {start:g}",
                       field="end_epoch")
    if rule == "gt" and start >= end:
        raise rs_error(SCHEDULE, f"`end_epoch` {end:g} must be after `start_epoch` {start:g} "
                                 f"for {cls}", field="end_epoch")


def check_update_frequency(model: ModifierSpec) -> None:
    """BaseUpdate.validate_update: `update_frequency` >= -1 (-1 and <= 0 mean every step)."""
    freq = float(getattr(model, "update_frequency"))
    if freq < -1:
        raise rs_error(SCHEDULE, f"`update_frequency` {freq:g} must be at least -1 for "
                                 f"{model.tag} (-1 means every step)", field="update_frequency")


class ScheduledSpec(ModifierSpec):
    """Modifiers validated by BaseScheduled (start >= -1 and the class's end rule)."""

    min_end: ClassVar[float] = -1.0

    @model_validator(mode="after")
    def _schedule(self) -> ScheduledSpec:
        check_schedule(self, min_end=self.min_end)
        if "update_frequency" in self.model_fields and not self.model_fields[
                "update_frequency"].json_schema_extra.get("x-ignored"):  # type: ignore[union-attr]
            check_update_frequency(self)
        return self


# ---- annotated types for fields -------------------------------------------------------

def _float_arg(value: Any, info: ValidationInfo) -> float:
    return py_float(value, info.field_name or "value")


def _bool_arg(value: Any) -> bool:
    return truthy(value)


#: a value SparseML passes through `float()` (numeric strings accepted)
FloatArg = Annotated[float, BeforeValidator(_float_arg)]
#: a value SparseML only tests for truthiness
BoolArg = Annotated[bool, BeforeValidator(_bool_arg)]
