"""Completion, from the text around the cursor (it works while the YAML is half typed):

* after `!` — every modifier tag; on a new list item the snippet also adds the modifier's
  required fields;
* a key inside a modifier — the modifier's fields that are not written yet;
* a value — the field's choices (enums, booleans, `__ALL_PRUNABLE__`, `__ALL__`,
  `__FROM_PARAM__`) and an `eval(...)` snippet;
* inside `eval(...)` — the recipe's variables.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from recipe_studio.lsp.analysis import Analysis
from recipe_studio.lsp.items import Item
from recipe_studio.numbers import yaml_value

if TYPE_CHECKING:
    from recipe_studio.models.base import ModifierSpec

_TAG = re.compile(r"^(\s*)(-\s+)?!([\w.]*)$")
_VALUE = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z_]\w*)\s*:\s+(\S*)$")
_KEY = re.compile(r"^(\s*)([A-Za-z_]\w*)?$")
_ITEM = re.compile(r"^(\s*)-\s+!([\w.]+)\s*(?:#.*)?$")
_KEY_LINE = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*:")
_PARTIAL = re.compile(r"[A-Za-z_]\w*$")


def _definitions() -> dict[str, Any]:
    from recipe_studio.stubs import active as stubs

    return _definitions_with(stubs.current())  # the active modifier stubs' too


@lru_cache(maxsize=4)
def _definitions_with(catalogue: Any) -> dict[str, Any]:
    from recipe_studio.models.schema import build_schema

    return build_schema()["definitions"]


def _models() -> list[type[ModifierSpec]]:
    from recipe_studio.stubs import active as stubs
    from recipe_studio.models import catalog

    return [*catalog.MODELS, *stubs.classic_models()]


def complete(analysis: Analysis, line: int, column: int) -> list[Item]:
    """Proposals at the 1-based (line, column) position."""
    from recipe_studio.lsp import stage

    staged = stage.complete(analysis, line, column)
    if staged is not None:
        return staged
    prefix = analysis.line_text(line)[: max(column - 1, 0)]
    inside = _eval_prefix(prefix)
    if inside is not None:
        return _variables(analysis, line, column - len(inside))
    m = _TAG.match(prefix)
    if m:
        return _tags(analysis, line, prefix, m)
    m = _VALUE.match(prefix)
    if m:
        indent = len(prefix) - len(prefix.lstrip(" -"))
        tag = _enclosing_tag(analysis, line, indent)
        if tag is None:
            return []
        return _values(tag, m.group(2), column - len(m.group(3)))
    m = _KEY.match(prefix)
    if m:
        indent = len(m.group(1))
        tag = _enclosing_tag(analysis, line, indent)
        if tag is None:
            return []
        written = _written_keys(analysis, line, indent)
        return _fields(tag, written, column - len(m.group(2) or ""))
    return []


def _eval_prefix(prefix: str) -> str | None:
    """The identifier being typed when the cursor is inside `eval(...)`, else None."""
    at = prefix.rfind("eval(")
    if at < 0:
        return None
    rest = prefix[at + 5:]
    depth = 1
    for ch in rest:
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            return None
    m = _PARTIAL.search(rest)
    if m and (m.start() == 0 or not rest[m.start() - 1].isalnum()):
        return m.group()
    return ""


# -- tags --------------------------------------------------------------------------------

def _tags(analysis: Analysis, line: int, prefix: str, m: re.Match[str]) -> list[Item]:
    from recipe_studio.lsp.hover import model_doc

    partial = m.group(3)
    start = len(prefix) - len(partial)  # 0-based index of the tag name (after `!`)
    field_indent = start - 1  # fields line up with the `!`
    bang = start + 1
    with_fields = not _has_fields_below(analysis, line, field_indent)
    items = []
    for model in _models():
        if model.__name__ == "LegacyQuantizationModifier":
            continue  # the same tag as QuantizationModifier
        insert = model.tag
        if with_fields:
            insert = _escape(model.tag) + _required_snippet(model, field_indent)
        required = [n for n, f in model.model_fields.items() if f.is_required()]
        doc = model_doc(model)
        if required:
            doc += "\n\nRequired: " + ", ".join(f"`{n}`" for n in required)
        items.append(Item(label=model.tag, kind="tag", replace=bang, insert=insert,
                          snippet=with_fields, detail=f"{model.family} modifier",
                          documentation=doc))
    return items


def _has_fields_below(analysis: Analysis, line: int, indent: int) -> bool:
    for n in range(line + 1, min(line + 50, len(analysis.lines)) + 1):
        text = analysis.line_text(n)
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        return len(text) - len(text.lstrip()) >= indent and not text.lstrip().startswith("-")
    return False


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _required_snippet(model: type[ModifierSpec], indent: int) -> str:
    props = _definitions()[model.__name__]["properties"]
    out = []
    tab = 1
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        prop = props.get(name, {})
        choices = [c for c in _choices(prop) if isinstance(c, str)]
        if choices and not {"number", "integer"} & _types(prop):
            value = "${%d|%s|}" % (tab, ",".join(c.replace(",", "\\,") for c in choices))
        else:
            value = "${%d:%s}" % (tab, _placeholder(model, name, props.get(name, {})))
        out.append("\n" + " " * indent + f"{name}: {value}")
        tab += 1
    return "".join(out) + "$0"


def _placeholder(model: type[ModifierSpec], name: str, prop: dict[str, Any]) -> str:
    if name == "end_epoch":
        return "10.0"
    if name in model.epoch_fields() or name == "update_frequency":
        return "0.0" if name != "update_frequency" else "1.0"
    types = _types(prop)
    if "number" in types or "integer" in types:
        low = _bound(prop)
        return "0.5" if low is not None and low >= 0 else "0.0"
    if "array" in types:
        return "[]"
    if "object" in types:
        return "{}"
    if "boolean" in types:
        return "true"
    return ""


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return _definitions().get(ref.rsplit("/", 1)[1], {})
    return node


def _branches(prop: dict[str, Any]) -> list[dict[str, Any]]:
    prop = _resolve(prop)
    if "anyOf" in prop:
        out = []
        for b in prop["anyOf"]:
            out.extend(_branches(b))
        return out
    return [prop]


def _types(prop: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for b in _branches(prop):
        t = b.get("type")
        out.update([t] if isinstance(t, str) else t or [])
    return out


def _bound(prop: dict[str, Any]) -> float | None:
    for b in _branches(prop):
        for key in ("minimum", "exclusiveMinimum"):
            if key in b:
                return float(b[key])
    return None


def _choices(prop: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for b in _branches(prop):
        for value in b.get("enum", []):
            if value not in out and not (isinstance(value, int) and not isinstance(value, bool)):
                out.append(value)
        if "const" in b and b["const"] not in out:
            out.append(b["const"])
        if b.get("type") == "boolean":
            out.extend(v for v in (True, False) if v not in out)
    return out


# -- keys and values ---------------------------------------------------------------------

def _enclosing_tag(analysis: Analysis, line: int, indent: int) -> str | None:
    """The tag of the `- !Tag` item whose fields are written at `indent` above `line`."""
    for n in range(line - 1, 0, -1):
        text = analysis.line_text(n)
        stripped = text.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ITEM.match(text)
        if m:
            tag_col = text.index("!")
            return m.group(2) if tag_col == indent else None
        if len(text) - len(stripped) < indent:
            return None
    return None


def _written_keys(analysis: Analysis, line: int, indent: int) -> set[str]:
    keys: set[str] = set()
    for step in (-1, 1):
        n = line + step
        while 1 <= n <= len(analysis.lines):
            text = analysis.line_text(n)
            stripped = text.lstrip()
            n += step
            if not stripped or stripped.startswith("#"):
                continue
            ind = len(text) - len(stripped)
            if ind < indent or (step == -1 and _ITEM.match(text)):
                break
            m = _KEY_LINE.match(text)
            if m and ind == indent:
                keys.add(m.group(2))
    return keys


def _model_for_tag(tag: str, keys: set[str]) -> type[ModifierSpec] | None:
    from recipe_studio.models import catalog

    return catalog.model_for(tag, keys)


def _fields(tag: str, written: set[str], replace: int) -> list[Item]:
    model = _model_for_tag(tag, written)
    if model is None:
        return []
    from recipe_studio.models.quantization import NEW_ONLY_FIELDS

    names: dict[str, Any] = dict(model.model_fields)
    if model.__name__ == "QuantizationModifier" and not written & NEW_ONLY_FIELDS:
        # either form is still possible: offer the legacy-only fields too
        from recipe_studio.models.quantization_legacy import LegacyQuantizationModifier

        for name, info in LegacyQuantizationModifier.model_fields.items():
            names.setdefault(name, info)
    items = []
    for name, info in names.items():
        if name in written:
            continue
        if info.is_required():
            detail = "required"
        else:

            detail = f"default {yaml_value(info.get_default(call_default_factory=True))}"
        items.append(Item(label=name, kind="field", replace=replace, insert=f"{name}: ",
                          detail=detail, documentation=info.description,
                          sort=("0" if info.is_required() else "1") + name))
    return items


def _values(tag: str, key: str, replace: int) -> list[Item]:
    model = _model_for_tag(tag, {key})
    if model is None or key not in model.model_fields:
        return []
    prop = _definitions()[model.__name__]["properties"].get(key, {})
    items = []
    for i, value in enumerate(_choices(prop)):

        text = yaml_value(value)
        items.append(Item(label=text, kind="value", replace=replace, insert=text,
                          detail=f"{key} of {model.tag}", sort=f"0{i:03d}"))
    items.append(Item(label="eval(...)", kind="snippet", replace=replace,
                      insert="eval(${1})", snippet=True,
                      detail="an expression over the recipe's variables", sort="1"))
    return items


def _variables(analysis: Analysis, line: int, replace: int) -> list[Item]:

    items: dict[str, Item] = {}
    for var in analysis.variables():
        if var.name in items or var.name in ("version", "__metadata__"):
            continue
        if isinstance(var.value, (list, dict)) and "modifiers" in var.name:
            continue
        numeric = isinstance(var.value, (int, float)) and not isinstance(var.value, bool)
        scope = f"stage {var.stage}" if var.stage else "variable"
        items[var.name] = Item(label=var.name, kind="variable", replace=replace,
                               insert=var.name, detail=f"{scope} = {yaml_value(var.value)}",
                               sort=("0" if numeric else "1") + var.name)
    if not items:  # the recipe does not load yet: top-level keys as written
        for n, text in enumerate(analysis.lines, start=1):
            m = _KEY_LINE.match(text)
            if m and not m.group(1) and "modifiers" not in m.group(2) and n != line:
                name = m.group(2)
                if name != "version":
                    items.setdefault(name, Item(label=name, kind="variable", replace=replace,
                                                insert=name, detail="variable"))
    return list(items.values())
