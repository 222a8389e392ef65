"""Hover and completion on stage recipes (SparseML 1.8's `sparseml.core` form, llm-compressor
0.14's), from the typed models of the recipe's target (:mod:`recipe_studio.models.stage`) and
the stage schema built from them (:mod:`recipe_studio.models.stage_schema`).

Completion reads the text around the cursor (it works while the YAML is half typed): the key
path above the cursor, from indentation, says where it is:

* at the top level: a `*_stage:` key;
* in a stage: `*_modifiers:` groups, `run_type` (SparseML);
* in a group: the target's modifier names;
* in a modifier, or in a nested `config_groups` scheme / quantization args: the fields not
  written yet; after `key: `, the field's values (scheme presets, enums, booleans).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from recipe_studio.diagnostics import Span
from recipe_studio.lsp.analysis import Analysis, within

if TYPE_CHECKING:
    from recipe_studio.lsp.items import Item
    from recipe_studio.read.stage.recipe import StageModifier, StageRecipe

_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z_][\w.-]*)\s*:")
_VALUE = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*:\s+(\S*)$")
_KEY = re.compile(r"^(\s*)([A-Za-z_]\w*)?$")


def stage_recipe(analysis: Analysis) -> StageRecipe | None:
    recipe = analysis.recipe
    return getattr(recipe, "stage_recipe", None) if recipe is not None else None


def target_of(analysis: Analysis) -> str:
    sr = stage_recipe(analysis)
    return sr.target if sr is not None else "llmcompressor"


@lru_cache(maxsize=2)
def _definitions(target: str) -> dict[str, Any]:
    from recipe_studio.models import stage_schema

    return stage_schema.definitions(target)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = {**defs[node["$ref"].rsplit("/", 1)[-1]],
                **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _object_branch(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """The branch of a field's schema that is a mapping with named fields (or its values')."""
    node = _resolve(node, defs)
    for branch in [node, *node.get("anyOf", [])]:
        branch = _resolve(branch, defs)
        if branch.get("properties"):
            return branch
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict):
            inner = _object_branch(extra, defs)
            if inner is not None:
                return {"map_of": inner}
    return None


def _values_of(node: dict[str, Any], defs: dict[str, Any]) -> list[Any]:
    node = _resolve(node, defs)
    out: list[Any] = []
    for branch in [node, *node.get("anyOf", [])]:
        branch = _resolve(branch, defs)
        for v in branch.get("enum", []):
            if v not in out:
                out.append(v)
        if branch.get("type") == "boolean":
            out += [v for v in (True, False) if v not in out]
        if "anyOf" in branch and branch is not node:
            out += [v for v in _values_of(branch, defs) if v not in out]
    return out


# -- where the cursor is -----------------------------------------------------------------

def key_path(analysis: Analysis, line: int, indent: int) -> list[str]:
    """The keys enclosing a position at `indent` on `line`, outermost first."""
    path: list[str] = []
    limit = indent
    for n in range(line - 1, 0, -1):
        text = analysis.line_text(n)
        m = _KEY_LINE.match(text)
        if not m or text.lstrip().startswith("#"):
            continue
        ind = len(m.group(1))
        if ind < limit:
            path.append(m.group(2))
            limit = ind
            if ind == 0:
                break
    return path[::-1]


def _written(analysis: Analysis, line: int, indent: int) -> set[str]:
    """Keys already written at `indent` in the mapping around `line`."""
    out = set()
    for step in (-1, 1):
        n = line + step
        while 1 <= n <= len(analysis.lines):
            text = analysis.line_text(n)
            if text.strip() and not text.lstrip().startswith("#"):
                ind = len(text) - len(text.lstrip())
                if ind < indent:
                    break
                m = _KEY_LINE.match(text)
                if m and ind == indent:
                    out.add(m.group(2))
            n += step
    return out


def _schema_at(target: str, path: list[str]) -> tuple[str, dict[str, Any]] | None:
    """("group" | "stage" | "fields", schema) for a key path (stage, group, modifier, ...)."""
    defs = _definitions(target)
    if len(path) == 1 and path[0].endswith("_stage"):
        return "stage", {}
    if len(path) == 2 and path[0].endswith("_stage") and path[1].endswith("_modifiers"):
        return "group", defs["stage_group"]
    if len(path) < 3 or not path[1].endswith("_modifiers"):
        return None
    from recipe_studio.models import stage_schema

    node: dict[str, Any] | None = defs.get(stage_schema.PREFIX[target] + path[2])
    if node is None:
        return None
    for key in path[3:]:
        prop = node.get("properties", {}).get(key) if "map_of" not in node else None
        if "map_of" in node:
            node = node["map_of"]
            continue
        if prop is None:
            return None
        node = _object_branch(prop, defs)
        if node is None:
            return None
    if "map_of" in node:
        return "map", node["map_of"]  # names of one's own (config_groups' group names)
    return "fields", node


# -- completion --------------------------------------------------------------------------

def complete(analysis: Analysis, line: int, column: int) -> list[Item] | None:
    """Proposals in a stage recipe, or None when the document is not one."""
    from recipe_studio.lsp.items import Item

    if stage_recipe(analysis) is None and not _looks_staged(analysis):
        return None
    target = target_of(analysis)
    defs = _definitions(target)
    prefix = analysis.line_text(line)[: max(column - 1, 0)]
    m = _VALUE.match(prefix)
    if m:
        indent = len(m.group(1))
        where = _schema_at(target, key_path(analysis, line, indent))
        if where is None or where[0] != "fields":
            if where is not None and where[0] == "stage" and m.group(2) == "run_type":
                return [Item(v, "value", column - len(m.group(3)), v) for v in ("oneshot", "train")]
            return []
        prop = where[1].get("properties", {}).get(m.group(2))
        if prop is None:
            return []
        start = column - len(m.group(3))
        return [Item(label=_yaml(v), kind="value", replace=start, insert=_yaml(v),
                     detail=m.group(2), sort=f"{i:03d}")
                for i, v in enumerate(_values_of(prop, defs)) if v is not None]
    m = _KEY.match(prefix)
    if not m:
        return []
    indent = len(m.group(1))
    start = column - len(m.group(2) or "")
    if indent == 0:
        return [Item(label="quant_stage", kind="field", replace=start,
                     insert="${1:quant}_stage:\n  ${2:quant}_modifiers:\n    $0", snippet=True,
                     detail="a stage (`*_stage`) with a modifier group")]
    path = key_path(analysis, line, indent)
    where = _schema_at(target, path)
    if where is None:
        return []
    kind, node = where
    written = _written(analysis, line, indent)
    if kind == "stage":
        items = [Item(label="quant_modifiers", kind="field", replace=start,
                      insert="${1:quant}_modifiers:\n" + " " * (indent + 2) + "$0", snippet=True,
                      detail="a modifier group (`*_modifiers`)")]
        if target == "sparseml" and "run_type" not in written:
            items.append(Item(label="run_type", kind="field", replace=start,
                              insert="run_type: ", detail="`oneshot` or `train`"))
        return items
    if kind == "group":
        out = []
        for name in node["properties"]:
            model = _model(target, name)
            doc = " ".join((model.__doc__ or "").split()) if model is not None else None
            out.append(Item(label=name, kind="tag", replace=start, insert=f"{name}:",
                            detail=f"modifier ({_display(target)})", documentation=doc))
        return out
    out = []
    for name, prop in node.get("properties", {}).items():
        if name in written or name.endswith("_"):
            continue
        out.append(Item(label=name, kind="field", replace=start, insert=f"{name}: ",
                        detail=_type_text(prop, defs), documentation=_doc_text(prop),
                        sort=("0" if name in node.get("required", ()) else "1") + name))
    return out


def _looks_staged(analysis: Analysis) -> bool:
    return any(re.match(r"^[A-Za-z_]\w*_stage\s*:", t) for t in analysis.lines)


def _yaml(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _type_text(prop: dict[str, Any], defs: dict[str, Any]) -> str | None:
    types: list[str] = []
    for branch in [prop, *prop.get("anyOf", [])]:
        t = _resolve(branch, defs).get("type")
        for x in ([t] if isinstance(t, str) else t or []):
            if x not in types and not (x == "string" and branch.get("pattern")):
                types.append(x)
    return " | ".join(types) or None


def _doc_text(prop: dict[str, Any]) -> str | None:
    parts = []
    if prop.get("description"):
        parts.append(prop["description"])
    if "default" in prop:
        parts.append(f"Default: `{_yaml(prop['default'])}`")
    return "\n\n".join(parts) or None


def _display(target: str) -> str:
    from recipe_studio.models import stage as stage_models

    return stage_models.display(target)


def _model(target: str, name: str) -> type | None:
    from recipe_studio.models import stage as stage_models

    return stage_models.registry(target).get(name)


# -- hover -------------------------------------------------------------------------------

def hover_markdown(analysis: Analysis, line: int, column: int) -> tuple[str, Span] | None:
    """A modifier name: its documentation and fields; an argument key: its type, doc and
    default (nested ones too); None elsewhere."""
    sr = stage_recipe(analysis)
    if sr is None:
        return None
    for mod in sr.modifiers:
        if within(mod.key_span, line, column):
            return modifier_markdown(sr.target, mod), mod.key_span
        best = None
        for path, site in mod.sites.items():
            if site.key_span is not None and within(site.key_span, line, column):
                if best is None or len(path) > len(best[0]):
                    best = (path, site)
        if best is not None:
            return field_markdown(sr.target, mod, best[0]), best[1].key_span
    return None


def modifier_markdown(target: str, mod: StageModifier) -> str:
    model = _model(target, mod.type)
    if model is None:
        return f"**{mod.type}**: not a {_display(target)} modifier"
    doc = " ".join((model.__doc__ or "").split())
    required = [f for f, i in model.model_fields.items() if i.is_required()]
    lines = [f"**{mod.type}** ({_display(target)}, stage `{mod.stage}`, group `{mod.group}`)",
             "", doc]
    if required:
        lines += ["", "Required: " + ", ".join(f"`{f}`" for f in required)]
    return "\n".join(lines)


def field_markdown(target: str, mod: StageModifier, path: tuple[Any, ...]) -> str:
    defs = _definitions(target)
    where = _schema_at(target, ["x_stage", "x_modifiers", mod.type, *map(str, path[:-1])])
    name = str(path[-1])
    prop = where[1].get("properties", {}).get(name) if where and where[0] == "fields" else None
    if where is not None and where[0] == "map":  # a name of one's own (`config_groups.group_0`)
        fields = ", ".join(f"`{f}`" for f in where[1].get("properties", {}))
        return (f"**{mod.type}.{'.'.join(map(str, path))}** ({_display(target)})\n\n"
                f"`{name}`: one entry, with the fields {fields}")
    title = f"**{mod.type}.{'.'.join(map(str, path))}** ({_display(target)})"
    if prop is None:
        return f"{title}\n\nnot a field of `{mod.type}` in {_display(target)}"
    lines = [title]
    kind = _type_text(prop, defs)
    if kind:
        lines += ["", f"Type: {kind}"]
    values = [v for v in _values_of(prop, defs) if v is not None]
    if values:
        lines += ["", "Values: " + ", ".join(f"`{_yaml(v)}`" for v in values[:40])]
    doc = _doc_text(prop)
    if doc:
        lines += ["", doc]
    return "\n".join(lines)
