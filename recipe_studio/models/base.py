"""Shared machinery for the modifier models.

A modifier model is a frozen pydantic model that describes one SparseML 1.8 PyTorch
modifier *as written in a recipe*: its fields, their types and defaults exactly as the
SparseML constructor takes them, and every check SparseML performs when it *loads* a
recipe (sparseml-recipes.md §5, §8). What SparseML accepts but is wrong is not a
validator here; it is a lint rule (``recipe_studio.lint.rules``).

Conventions:

* every field has a ``description`` (it feeds the JSON Schema, hover and docs);
* epoch-valued fields are declared with :func:`epoch_field` (the rescaler reads this);
* fields SparseML accepts and then discards are declared with ``ignored=...``;
* errors are raised as :func:`rs_error` (a ``PydanticCustomError`` whose type names the
  diagnostic family), never as raw pydantic text; the loader maps them to codes and to the
  YAML position of the offending key or value.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from recipe_studio.numbers import as_written, number_or_repr

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

# Error types. The loader maps each to a diagnostic code (recipe_studio.read.codes).
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
        try:
            return float(value)
        except OverflowError:  # an integer too large for a float
            raise rs_error(RANGE, f"`{name}` is too large to be a number (an integer with "
                                  "more than 308 digits)") from None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise rs_error(TYPE, f"`{name}` must be a number, got {as_written(value)}") from None
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
                         f"{as_written(value)}{hint}")


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
        raise rs_error(PARAMS, f"`{name}` is the string {as_written(value)}; SparseML accepts "
                               f"only `{ALL_TOKEN}`, `{ALL_PRUNABLE_TOKEN}` or a list of names "
                               "and `re:` patterns", value=value, tokens=list(PARAM_TOKENS))
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return flatten(value)
    raise rs_error(TYPE, f"`{name}` must be a list of parameter names or a token for {cls}, "
                         f"got {type_name(value)}")


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ---- what SparseML converts itself ---------------------------------------------------

CastKind = Literal["float", "int", "bool"]


@dataclass(frozen=True)
class SparseMLCast:
    """Field metadata: SparseML 1.8 converts this field's value itself, so a string such as
    `'1e-7'` (`float()`), `'2'` (`int()`) or `'false'` (`convert_to_bool`) works.

    Put it in the field's ``Annotated[...]`` type next to the validator doing the same
    conversion; :meth:`ModifierSpec.cast_fields` collects it. `tests/models/test_casts.py`
    compares the marked fields with what SparseML's constructors really convert.
    """

    kind: CastKind


CAST_FLOAT = SparseMLCast("float")
CAST_INT = SparseMLCast("int")
CAST_BOOL = SparseMLCast("bool")


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

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False, defer_build=True,
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

    @classmethod
    def cast_fields(cls) -> dict[str, CastKind]:
        """Fields SparseML converts itself (`float()`, `int()`, `convert_to_bool`), by kind."""
        return {
            name: meta.kind for name, f in cls.model_fields.items()
            for meta in f.metadata if isinstance(meta, SparseMLCast)
        }

    def args(self, *, exclude_defaults: bool = False) -> dict[str, Any]:
        """The fields as given (explicitly set ones only when `exclude_defaults`)."""
        if exclude_defaults:
            return {k: getattr(self, k) for k in self.model_fields_set}
        return {k: getattr(self, k) for k in type(self).model_fields}

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


def check_schedule_values(tag: str, start: float, end: Any, rule: str, *,
                          min_start: float = -1.0, min_end: float = -1.0) -> None:
    """BaseScheduled.validate_schedule on plain values (raises rs_error).

    `rule` is an :data:`EndRule`, or "none" for an end comparator SparseML does not know
    (no ordering check). `end` is only read for rules that check it.
    """
    s, e = number_or_repr(start), None
    if start < min_start:
        raise rs_error(SCHEDULE, f"`start_epoch` {s} must be at least "
                                 f"{number_or_repr(min_start)} for {tag} (-1 means \"from the "
                                 "first step\")",
                       field="start_epoch")
    if rule == "forced_neg1":
        return  # the given end_epoch is discarded (it may be any value)
    end = float(end)
    e = number_or_repr(end)
    if rule == "must_neg1":
        if end != -1:
            raise rs_error(SCHEDULE, f"`end_epoch` must be -1 for {tag}, got {e} "
                                     "(quantization is never switched off)",
                           field="end_epoch")
        return
    if rule == "fixed" and end != end:  # NaN != its initial value (validate_schedule)
        raise rs_error(SCHEDULE, f"`end_epoch` must be a number for {tag}, got nan",
                       field="end_epoch")
    if end < min_end:
        what = "at least 0" if min_end == 0 else f"at least {number_or_repr(min_end)}"
        raise rs_error(SCHEDULE, f"`end_epoch` must be {what} for {tag}, got {e}",
                       field="end_epoch")
    if rule == "ge_or_neg1" and end != -1 and end < start:
        raise rs_error(SCHEDULE, f"`end_epoch` {e} is before `start_epoch` {s}; it must be at "
                                 "least `start_epoch`, or -1 to never end", field="end_epoch")
    if rule == "ge" and start > end:
        raise rs_error(SCHEDULE, f"`end_epoch` {e} is before `start_epoch` {s}; it must be at "
                                 f"least `start_epoch` for {tag} (-1 is only allowed with "
                                 "`start_epoch: -1`)", field="end_epoch")
    if rule == "gt" and start >= end:
        raise rs_error(SCHEDULE, f"`end_epoch` must be greater than `start_epoch` for {tag}, "
                                 f"got `end_epoch` {e} with `start_epoch` {s}",
                       field="end_epoch")


def check_schedule(model: ModifierSpec, *, min_start: float = -1.0, min_end: float = -1.0) -> None:
    """BaseScheduled.validate_schedule for the model's end rule (raises rs_error).

    Rule "fixed" (SetParam) has no ordering check but still requires `end >= min_end`.
    """
    check_schedule_values(model.tag, float(getattr(model, "start_epoch")),
                          getattr(model, "end_epoch", -1.0), model.end_rule,
                          min_start=min_start, min_end=min_end)


def check_update_frequency(model: ModifierSpec) -> None:
    """BaseUpdate.validate_update: `update_frequency` >= -1 (-1 and <= 0 mean every step)."""
    freq = getattr(model, "update_frequency")
    if freq < -1:
        raise rs_error(SCHEDULE, f"`update_frequency` must be at least -1 for {model.tag} "
                                 f"(-1 or 0 means every step), got {number_or_repr(freq)}",
                       field="update_frequency")


class ScheduledSpec(ModifierSpec):
    """Modifiers validated by BaseScheduled (start >= -1 and the class's end rule)."""

    min_end: ClassVar[float] = -1.0

    @model_validator(mode="after")
    def _schedule(self) -> ScheduledSpec:
        check_schedule(self, min_end=self.min_end)
        fields = type(self).model_fields
        info = fields.get("update_frequency")
        extra = info.json_schema_extra if info is not None else None
        if info is not None and not (isinstance(extra, dict) and extra.get("x-ignored")):
            check_update_frequency(self)
        return self


# ---- annotated types for fields -------------------------------------------------------

def _float_arg(value: Any, info: ValidationInfo) -> float:
    return py_float(value, info.field_name or "value")


def _bool_arg(value: Any) -> bool:
    return truthy(value)


#: a value SparseML passes through `float()` (numeric strings accepted)
FloatArg = Annotated[float, BeforeValidator(_float_arg), CAST_FLOAT]
#: a value SparseML only tests for truthiness
BoolArg = Annotated[bool, BeforeValidator(_bool_arg)]


# ---- additions for the full modifier catalogue ---------------------------------------

def describe(value: Any) -> str:
    """`a string 'x'`, `an integer 5`, `null`: the value and its YAML type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        text = repr(value)
        return f"{type_name(value)} {text if len(text) <= 60 else text[:57] + '...'}"
    return f"{type_name(value)} {as_written(value)}"


def numeric_string_hint(value: Any, *, float_only: bool = False) -> str:
    """For a string that `float()` accepts: why it is a string and how to write a number
    (with `float_only`, integers get a `.0`: the field rejects YAML integers too)."""
    if not isinstance(value, str):
        return ""
    try:
        number = float(value)
    except ValueError:
        return ""
    text = value.strip()
    match = re.fullmatch(r"([+-]?\d*)(\.\d*)?[eE]([+-]?)(\d+)", text)
    if match:  # YAML 1.1 floats need a decimal point and a signed exponent
        mantissa, fraction, sign, digits = match.groups()
        fixed = f"{mantissa or '0'}{fraction if fraction and fraction != '.' else '.0'}" \
                f"e{sign or '+'}{digits}"
        return (f" (PyYAML reads `{text}` as a string: exponents need a decimal point and a "
                f"signed exponent, write `{fixed}`)")
    if math.isfinite(number):
        if float_only and re.fullmatch(r"[+-]?\d+", text):
            text += ".0"
        return f" (it is quoted, so it is a string: write `{text}` without quotes)"
    return ""


def real_number(value: Any, name: str) -> float:
    """A value SparseML compares with a float *without converting it* (`x < -1.0`).

    YAML ints, floats and booleans pass; strings (even numeric ones), null, lists and
    dates make SparseML fail with a `TypeError`.
    """
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # a huge integer still compares fine in SparseML
            return math.inf if value > 0 else -math.inf
    raise rs_error(TYPE, f"`{name}` must be a number, got {describe(value)}"
                         f"{numeric_string_hint(value)}")


def param_list(value: Any, name: str) -> str | list[Any]:
    """sparseml.utils.validate_str_iterable, with our messages.

    A string must be `__ALL__` or `__ALL_PRUNABLE__` (any case; upper-cased); any other
    iterable (list, mapping) is flattened depth-first (a mapping contributes its keys).
    """
    if isinstance(value, str):
        if value.upper() in PARAM_TOKENS:
            return value.upper()
        shown = f"the string {as_written(value)}" if value else "an empty string"
        raise rs_error(PARAMS, f"`{name}` is {shown}; SparseML accepts only `{ALL_TOKEN}`, "
                               f"`{ALL_PRUNABLE_TOKEN}` or a list of names and `re:` patterns",
                       value=value, tokens=list(PARAM_TOKENS))
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return flatten(value)
    raise rs_error(TYPE, f"`{name}` must be a list of names and `re:` patterns, `{ALL_TOKEN}` "
                         f"or `{ALL_PRUNABLE_TOKEN}`, got {describe(value)}")


def _num_arg(value: Any, info: ValidationInfo) -> float:
    return real_number(value, info.field_name or "value")


def _str_bool_arg(value: Any) -> bool:
    return convert_to_bool(value)


def _params_arg(value: Any, info: ValidationInfo) -> str | list[Any]:
    return param_list(value, info.field_name or "params")


#: a number SparseML compares without converting (`update_frequency < -1.0`): YAML ints,
#: floats and booleans pass, numeric strings are rejected
NumArg = Annotated[float, BeforeValidator(_num_arg)]
#: a bool read with `sparseml.utils.convert_to_bool` (strings with `f` or `0` are false)
StrBoolArg = Annotated[bool, BeforeValidator(_str_bool_arg), CAST_BOOL]
#: a `params`-like selection: `__ALL__`, `__ALL_PRUNABLE__` (upper-cased) or a flattened list
ParamsArg = Annotated[str | list[Any], BeforeValidator(_params_arg)]
#: a value SparseML stores without any check at load (checked, if ever, at modify or train)
Unchecked = Any


def unchecked_field(default: Any = ..., *, description: str, expects: str, **kw: Any) -> Any:
    """A field SparseML accepts with any value at load; `expects` says what it should be."""
    return Field(default, description=description, json_schema_extra={"x-expects": expects},
                 **kw)


def str_bool_field(default: Any = ..., *, description: str, **kw: Any) -> Any:
    """A bool field SparseML reads with `convert_to_bool` (`'false'`, `'0'`, `'off'` → false)."""
    return Field(default, description=description,
                 json_schema_extra={"x-bool": "convert_to_bool"}, **kw)


def choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """SparseML's `value not in [..]` check, with our message (for Literal fields)."""
    options = list(choices)
    try:
        ok = value in options
    except TypeError:  # pragma: no cover - list membership never raises for YAML values
        ok = False
    if not ok:
        allowed = ("one of " + ", ".join(f"`{o}`" for o in options) if len(options) > 1
                   else f"`{options[0]}`")
        ctx: dict[str, Any] = {"expected": options}
        if isinstance(value, str):
            close = difflib.get_close_matches(value, [str(o) for o in options], n=1, cutoff=0.6)
            if not close:
                close = [str(o) for o in options if str(o).lower() == value.lower()]
            if close:
                ctx["help"] = f"did you mean `{close[0]}`?"
                ctx["suggestion"] = close[0]  # the loader offers it as a fix
        raise rs_error(CHOICE, f"`{name}` must be {allowed}, got {describe(value)}", **ctx)
    return value


def choice_validator(*choices: Any) -> BeforeValidator:
    """A BeforeValidator for a Literal field: membership with our CHOICE message."""
    def check(value: Any, info: ValidationInfo) -> Any:
        return choice(value, info.field_name or "value", choices)
    return BeforeValidator(check)
