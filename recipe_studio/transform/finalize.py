"""The concrete recipe SparseML should run: variables and `eval` resolved, anchors expanded.

`finalize_yaml` writes a recipe with only literal values, in the same lists (and stages)
as the original, which SparseML 1.8 loads into the same modifiers and schedule.
`finalize_data` gives the JSON form used by `recipe-studio finalize --format json`.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from recipe_studio.read.recipe import ModifierEntry, Recipe

#: top-level keys kept in the finalized YAML (everything else is a variable, now inlined)
KEPT_KEYS = ("version", "__metadata__")


class _Tagged:
    def __init__(self, tag: str, args: dict[Any, Any]):
        self.tag = tag
        self.args = args


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # anchors expanded: no &id001 in the output
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        # indent list items under their key, as recipes are usually written
        return super().increase_indent(flow, False)


def _represent_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if not data.args:
        return dumper.represent_scalar(data.tag, "")
    return dumper.represent_mapping(data.tag, data.args.items())


def _represent_float(dumper: yaml.SafeDumper, data: float) -> yaml.Node:
    # repr() round-trips exactly; keep a `.` so PyYAML (YAML 1.1) reads a float back
    if math.isnan(data):
        text = ".nan"
    elif math.isinf(data):
        text = ".inf" if data > 0 else "-.inf"
    else:
        text = repr(data)
        if "e" in text and "." not in text.split("e")[0]:
            mant, exp = text.split("e")
            text = f"{mant}.0e{exp}"
        elif "." not in text and "e" not in text:
            text += ".0"
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(_Tagged, _represent_tagged)
_Dumper.add_representer(float, _represent_float)


def _modifier(entry: ModifierEntry) -> _Tagged:
    return _Tagged(f"!{entry.type}", dict(entry.args))


def finalize_document(recipe: Recipe) -> dict[str, Any]:
    """The finalized recipe as plain data (modifiers as tagged objects)."""
    doc: dict[str, Any] = {}
    for key in KEPT_KEYS:
        if key in recipe.variables:
            doc[key] = recipe.variables[key].value
    if recipe.stages:
        for stage in recipe.stages:
            body: dict[str, Any] = {}
            meta = stage.variables.get("__metadata__")
            if meta is not None:
                body["__metadata__"] = meta.value
            for i in stage.modifiers:
                entry = recipe.modifiers[i]
                body.setdefault(entry.group, []).append(_modifier(entry))
            doc[stage.name] = body
        return doc
    for entry in recipe.modifiers:
        group = entry.group if entry.group != "<root>" else "modifiers"
        doc.setdefault(group, []).append(_modifier(entry))
    return doc


def finalize_yaml(recipe: Recipe, *, header: bool = True) -> str:
    """YAML text that SparseML 1.8 loads into the same modifiers, with literals only."""
    text = yaml.dump(finalize_document(recipe), Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, allow_unicode=True, width=100)
    # a tag with no fields is dumped as `!Name ''`; SparseML wants the bare tag
    text = text.replace(" ''\n", "\n")
    if not header:
        return text
    lines = [f"# Finalized by recipe-studio from {recipe.path or '<text>'}: variables and "
             "eval() resolved, anchors expanded."]
    values = {k: v.value for k, v in recipe.variables.items()
              if v.numeric and "modifiers" not in k and k not in KEPT_KEYS}
    if values:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in values.items())
        lines.append(f"# Variables: {shown}")
    if recipe.overrides:
        lines.append("# Overrides: " + ", ".join(f"{k}={v!r}" for k, v in recipe.overrides.items()))
    return "\n".join(lines) + "\n" + text


def finalize_data(recipe: Recipe) -> dict[str, Any]:
    """`{"variables": {...}, "modifiers": [{"type", "line", "args"}]}` (JSON form)."""
    variables: dict[str, Any] = {}
    for name, v in recipe.variables.items():
        if "modifiers" in name or any(s.name == name for s in recipe.stages):
            continue
        variables[name] = v.value
    out: dict[str, Any] = {"variables": variables, "modifiers": []}
    if recipe.stages:
        out["stages"] = [
            {"name": s.name, "variables": {k: v.value for k, v in s.variables.items()
                                          if "modifiers" not in k},
             "modifiers": s.modifiers}
            for s in recipe.stages
        ]
    for entry in recipe.modifiers:
        item: dict[str, Any] = {"type": entry.type, "line": entry.line, "args": entry.args}
        if entry.stage:
            item["stage"] = entry.stage
        out["modifiers"].append(item)
    return out


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
