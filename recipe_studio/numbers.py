"""How values and epochs are written for people: the one home of every formatter.

A leaf (it imports only the standard library), beside `diagnostics.py`: models, the loader,
rules, the schedule, the writers, the renderers, the CLI and the language server all
format values, so it cannot live in one of their folders without an arrow pointing
backwards through the flow (`models` → `render`).

Where two outputs write the same value differently today, both ways are kept as separate,
named functions, and each says which output it serves: golden files, the docs and the
editors' tests pin that text byte for byte. Call `epoch`, `value`, `learning_rate` and `sparsity`
qualified (`numbers.epoch(e)`): those short names would shadow the many local variables
called `epoch` or `value`; the longer names (`as_written`, `yaml_value`, ...) are imported.
"""

from __future__ import annotations

import math
from typing import Any

# ---- epochs ------------------------------------------------------------------------------


def epoch(value: float) -> str:
    """An epoch with up to 6 significant digits: `30`, `2.5`, `1e+06`, `inf`.

    For lint diagnostics (their messages and help) and the language server's hover.
    """
    return f"{value:g}"


def epoch_whole(value: Any) -> str:
    """An epoch-like value of any type: a whole float in full (`30`, `1000000`), another
    float with up to 6 significant digits, anything else as `str()` (`5`, `None`).

    For the schedule simulation's crash messages and notes (`show`, `plot`, `diff`, the
    RS lint rules that quote a crash).
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def epoch_short(value: Any) -> str:
    """An epoch in a table or chart: whole numbers in full (`30`, `-1`), others with up to
    4 significant digits (`2.5`, `33.33`), anything else as `str()`.

    For `show`'s text and `plot`'s labels.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if v.is_integer():
            return str(int(v))
        return f"{v:.4g}"
    return str(value)


def number_or_repr(value: Any) -> str:
    """A number with up to 6 significant digits (`30`, `0.05`), or `repr()` of what that
    format refuses (a huge integer, a string), for the models' schedule checks' messages."""
    try:
        return format(value, "g")
    except (OverflowError, TypeError, ValueError):
        return repr(value)


def step_count(n: int) -> str:
    """`1 step`, `10 steps`."""
    return f"{n} step{'s' if n != 1 else ''}"


# ---- rates and sparsities (the schedule view) --------------------------------------------


def value(value: Any) -> str:
    """A recipe value in `show`'s modifier descriptions: a float with up to 6 significant
    digits (`0.05`, `1e-05`), anything else as `str()`."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def learning_rate(value: Any) -> str:
    """A learning rate or weight decay in `show`'s text: `-` before one is set, numbers with
    up to 4 significant digits (`0.01`, `5e-05`)."""
    if value is None:
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):.4g}"
    return str(value)


def sparsity(value: Any) -> str:
    """A sparsity in `show`'s text: `-` when no mask applies, three decimals (`0.850`), one
    per group of a `final_sparsity` mapping joined by `|`."""
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return "|".join(sparsity(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):.3f}"
    return str(value)


# ---- any value ---------------------------------------------------------------------------


def as_written(value: Any) -> str:
    """A value as the user wrote it, for the loader's and models' messages: `true`, `30.0`,
    `'cubic'` (strings quoted), `repr()` otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return f"{value:.1f}"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def yaml_value(value: Any) -> str:
    """A value as YAML would print it, short (at most 120 characters), for the language
    server's hover and completion details: `null`, `true`, `30.0`, `0.05`, strings bare."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return f"{value:.1f}"
        return repr(value)
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


def rounded_value(value: Any) -> str:
    """Any value with its floats rounded to 6 significant digits, for `diff`'s text output:
    `-` for null, `true`/`false`, tuples, lists and mappings written out recursively."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(rounded_value(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(rounded_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{rounded_value(k)}: {rounded_value(v)}"
                               for k, v in value.items()) + "}"
    return str(value)


# ---- recipe text -------------------------------------------------------------------------


def yaml_float(value: float) -> str:
    """A float as YAML 1.1 text that PyYAML reads back as the same float (`30.0`, `1.0e-05`,
    `.inf`): what `new`, `format` and `scale` write into recipes."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(float(value))
    if "e" in text:
        mant, exp = text.split("e")
        if "." not in mant:
            mant += ".0"
        if exp[0] not in "+-":
            exp = "+" + exp
        return f"{mant}e{exp}"
    if "." not in text:
        text += ".0"
    return text
